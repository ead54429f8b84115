// Issue 14 (3): under a few hundred concurrent connections the managed client printed
// "MaxListenersExceededWarning: 11 abort listeners added to [AbortSignal]": every connection's
// SOCKS handshake, dial and relay listened on the process-wide shutdown signal. Now each
// connection has its own signal under one scope (net/scope.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { startHashEcho } from '../_support/echo.js';
import { socks5Connect } from '../_support/socks-client.js';
import { startSteppeServer } from '../cli/support/steppe.js';
import { methodPort, spawnPt } from '../managed/support/spawn.js';
import { encodeClientArgs } from '../../src/pt/args.js';
import { parseShare } from '../../src/cli/share.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test(
  '300 concurrent connections through the managed client: no listener warning, all echo',
  { timeout: 120_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-listeners-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const echo = await startHashEcho();
    cleanups.push(() => echo.close());
    const server = await startSteppeServer([
      '--state',
      join(dir, 's'),
      '--forward',
      `127.0.0.1:${echo.port}`,
    ]);
    cleanups.push(() => server.p.stop());
    const client = spawnPt('steppe', {
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
      TOR_PT_STATE_LOCATION: join(dir, 'c'),
    });
    cleanups.push(() => client.stop());
    const port = methodPort(await client.waitForLine(/^CMETHOD obfs4 /));
    const info = parseShare(server.share);
    const args = encodeClientArgs(new Map([...info.args].map(([k, v]) => [k, [v]])));
    const socks: Socket[] = [];
    // All open at once: the listener count is about connections in flight, not in total.
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const s = await socks5Connect(port, info.server, args);
        socks.push(s);
        const msg = Buffer.from(`connection ${i}\n`);
        s.write(msg);
        await new Promise<void>((resolve, reject) => {
          let got = 0;
          s.on('data', (d: Buffer) => {
            got += d.length;
            if (got >= msg.length) resolve();
          });
          s.once('error', reject);
        });
      }),
    );
    assert.equal(socks.length, 300);
    for (const s of socks) s.destroy();
    assert.doesNotMatch(client.stderr(), /MaxListenersExceeded/);
    assert.equal(client.proc.exitCode, null);
  },
);

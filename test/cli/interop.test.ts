// Standalone steppe against Debian's obfs4proxy 0.0.14 (run in managed mode from environment
// variables, as tor runs it): `steppe client` in front of an obfs4proxy bridge, and an
// obfs4proxy client in front of `steppe server`, including a server run with --forward socks,
// whose in-tunnel protocol is plain SOCKS5 that the test speaks itself. In CI a missing
// obfs4proxy fails these tests instead of skipping them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHashEcho, type HashEcho } from '../_support/echo.js';
import {
  haveObfs4proxy,
  startObfs4proxyClient,
  startObfs4proxyServer,
} from '../_support/obfs4proxy.js';
import { socks5Connect } from '../_support/socks-client.js';
import { echoTransfer, type TransferResult } from '../_support/transfer.js';
import { encodeShare } from '../../src/cli/share.js';
import { startSteppeClient, startSteppeServer } from './support/steppe.js';

const skip = haveObfs4proxy() ? false : 'obfs4proxy is not installed (apt-get install obfs4proxy)';
const MiB = 1024 * 1024;
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function echo(): Promise<HashEcho> {
  const e = await startHashEcho();
  cleanups.push(() => e.close());
  return e;
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

/** echoTransfer on a socket that a SOCKS client helper left paused. */
function transferPaused(s: Socket, size: number): Promise<TransferResult> {
  const done = echoTransfer(s, size);
  s.resume();
  return done;
}

async function assertIntact(results: TransferResult[], e: HashEcho): Promise<void> {
  for (const r of results) assert.equal(r.receivedSha, r.sentSha);
  const until = Date.now() + 10_000;
  while (!results.every((r) => e.received.includes(r.sentSha))) {
    if (Date.now() > until) assert.fail('the echo service did not see every stream intact');
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const iatMode of [0, 1] as const) {
  test(
    `steppe client → obfs4proxy bridge (iat-mode ${iatMode})`,
    { skip, timeout: 120_000 },
    async () => {
      const e = await echo();
      const bridge = await startObfs4proxyServer({ orPort: e.port, iatMode });
      cleanups.push(() => bridge.stop());
      const cert = bridge.args.get('cert') ?? '';
      assert.equal(bridge.args.get('iat-mode'), String(iatMode));
      // Configured from a share string made of the bridge's SMETHOD args.
      const share = encodeShare({
        transport: 'obfs4',
        server: bridge.address,
        args: new Map([
          ['cert', cert],
          ['iat-mode', String(iatMode)],
        ]),
      });
      const c = await startSteppeClient([
        '--connect',
        share,
        '--listen',
        '0',
        '--log-level',
        'warn',
      ]);
      cleanups.push(() => c.p.stop());
      const size = iatMode === 0 ? 16 * MiB : 1 * MiB;
      try {
        await assertIntact([await echoTransfer(await dial(c.port), size)], e);
        const many = await Promise.all(
          Array.from({ length: 16 }, async () => echoTransfer(await dial(c.port), 64 * 1024)),
        );
        await assertIntact(many, e);
      } catch (err) {
        // Say what the steppe client saw; the local socket only shows a reset.
        throw new Error(`${(err as Error).message}; steppe client stderr: ${c.p.stderr()}`, {
          cause: err,
        });
      }
      await c.p.stop();
    },
  );
}

test('obfs4proxy client → steppe server', { skip, timeout: 120_000 }, async () => {
  const e = await echo();
  const dir = await mkdtemp(join(tmpdir(), 'steppe-cli-interop-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const s = await startSteppeServer(['--state', dir, '--forward', `127.0.0.1:${e.port}`]);
  cleanups.push(() => s.p.stop());
  const client = await startObfs4proxyClient();
  cleanups.push(() => client.stop());
  const open = (): Promise<Socket> =>
    socks5Connect(
      client.address.port,
      { host: '127.0.0.1', port: s.port },
      `cert=${s.cert};iat-mode=0`,
    );
  await assertIntact([await transferPaused(await open(), 16 * MiB)], e);
  const many = await Promise.all(
    Array.from({ length: 16 }, async () => transferPaused(await open(), 64 * 1024)),
  );
  await assertIntact(many, e);
  await s.p.stop();
});

test(
  'obfs4proxy client → steppe server --forward socks: plain SOCKS5 inside the tunnel',
  { skip, timeout: 120_000 },
  async () => {
    const e = await echo();
    const dir = await mkdtemp(join(tmpdir(), 'steppe-cli-interop-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const s = await startSteppeServer(['--state', dir, '--forward', 'socks']);
    cleanups.push(() => s.p.stop());
    const client = await startObfs4proxyClient();
    cleanups.push(() => client.stop());
    const tunnel = await socks5Connect(
      client.address.port,
      { host: '127.0.0.1', port: s.port },
      `cert=${s.cert};iat-mode=0`,
    );
    // Inside the tunnel: greeting and CONNECT to the echo service in one write, as steppe does.
    const port = Buffer.of(e.port >> 8, e.port & 0xff);
    tunnel.write(Buffer.concat([Buffer.of(5, 1, 0), Buffer.of(5, 1, 0, 1, 127, 0, 0, 1), port]));
    const reply = await readN(tunnel, 2 + 10);
    assert.deepEqual([...reply.subarray(0, 4)], [5, 0, 5, 0]);
    await assertIntact([await transferPaused(tunnel, 2 * MiB)], e);
    await s.p.stop();
  },
);

/** Reads exactly n bytes and leaves the socket paused with nothing buffered past them. */
function readN(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error(`no ${n} bytes within 20 s`)), 20_000);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < n) return;
      clearTimeout(timer);
      s.off('data', onData);
      s.pause();
      if (buf.length > n) s.unshift(buf.subarray(n));
      resolve(buf.subarray(0, n));
    };
    s.on('data', onData);
    s.resume();
  });
}

// Several transports in one managed proxy: TOR_PT_SERVER_TRANSPORTS / TOR_PT_CLIENT_TRANSPORTS
// naming obfs4, obfs3, obfs2, dummy and b64 give one SMETHOD / CMETHOD each, with the args tor
// puts in the Bridge line (obfs4: cert and iat-mode; the others: none), and every pair carries
// data through bin/steppe on both sides, obfs2 with a shared secret from
// ServerTransportOptions and the SOCKS args.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseSmethodArgs } from '../../src/pt/args.js';
import { methodPort, spawnPt, type PtProcess } from './support/spawn.js';
import { socksConnect } from './support/socks-client.js';
import { echoServer, readN } from '../net/support/loopback.js';

const NAMES = ['obfs4', 'obfs3', 'obfs2', 'dummy', 'b64'] as const;

test('one steppe bridge and one steppe client with five transports', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-multi-'));
  const orport = await echoServer();
  const procs: PtProcess[] = [];
  try {
    const bridge = spawnPt('steppe', {
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_SERVER_TRANSPORTS: NAMES.join(','),
      TOR_PT_SERVER_BINDADDR: NAMES.map((n) => `${n}-127.0.0.1:0`).join(','),
      TOR_PT_SERVER_TRANSPORT_OPTIONS: 'obfs2:shared-secret=s3cr\\;et',
      TOR_PT_ORPORT: `127.0.0.1:${orport.port}`,
      TOR_PT_STATE_LOCATION: join(dir, 'bridge'),
      TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
    });
    procs.push(bridge);
    const client = spawnPt('steppe', {
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_CLIENT_TRANSPORTS: NAMES.join(','),
      TOR_PT_STATE_LOCATION: join(dir, 'client'),
      TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
    });
    procs.push(client);
    for (const name of NAMES) {
      const smethod = await bridge.waitForLine(new RegExp(`^SMETHOD ${name} `));
      const args = new Map(parseSmethodArgs(/ ARGS:(\S*)/.exec(smethod)?.[1] ?? ''));
      if (name === 'obfs4') assert.equal(args.get('cert')?.[0]?.length, 70);
      // The shared secret is never published.
      else assert.equal(args.size, 0, `${name} publishes ${smethod}`);
      const socksPort = methodPort(
        await client.waitForLine(new RegExp(`^CMETHOD ${name} socks5 `)),
      );
      if (name === 'obfs2') args.set('shared-secret', ['s3cr;et']);
      const s = await socksConnect(
        socksPort,
        { host: '127.0.0.1', port: methodPort(smethod) },
        args,
      );
      const payload = randomBytes(64 * 1024);
      s.write(payload);
      assert.ok((await readN(s, payload.length, 30_000)).equals(payload), `${name} echo`);
      s.destroy();
    }
  } finally {
    for (const p of procs) await p.stop();
    await orport.close();
    await rm(dir, { recursive: true, force: true });
  }
});

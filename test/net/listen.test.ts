import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { listenTcp } from '../../src/net/listen.js';
import { PtError } from '../../src/errors.js';

function reach(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      resolve(s.localAddress ?? '');
      s.destroy();
    });
    s.once('error', reject);
  });
}

async function hasIpv6(): Promise<boolean> {
  try {
    const l = await listenTcp({ host: '::1', port: 0, onConnection: (s) => s.destroy() });
    await l.close();
    return true;
  } catch {
    return false;
  }
}

test('listenTcp: IPv4 with a kernel-chosen port', async () => {
  const seen: string[] = [];
  const l = await listenTcp({
    host: '127.0.0.1',
    port: 0,
    onConnection: (s) => (seen.push(s.remoteAddress ?? ''), s.destroy()),
  });
  assert.equal(l.address.host, '127.0.0.1');
  assert.ok(l.address.port > 0);
  await reach('127.0.0.1', l.address.port);
  await l.close();
  await l.close(); // idempotent
});

test('listenTcp: a port in use is an error that names the address and the fix', async () => {
  const a = await listenTcp({ host: '127.0.0.1', port: 0, onConnection: (s) => s.destroy() });
  await assert.rejects(
    listenTcp({
      host: '127.0.0.1',
      port: a.address.port,
      setting: 'ServerTransportListenAddr obfs4',
      onConnection: (s) => s.destroy(),
    }),
    (e: unknown) =>
      e instanceof PtError &&
      e.code === 'ERR_INVALID_CONFIG' &&
      new RegExp(
        `cannot listen on 127\\.0\\.0\\.1:${a.address.port}: the address is already in use.*\\(ServerTransportListenAddr obfs4\\)`,
      ).test(e.message),
  );
  await assert.rejects(
    listenTcp({ host: '192.0.2.55', port: 0, onConnection: (s) => s.destroy() }),
    /no network interface has the address 192\.0\.2\.55/,
  );
  await a.close();
});

test(
  'listenTcp: dual stack for 0.0.0.0 and [::], reporting the requested host',
  { skip: false },
  async (t) => {
    if (!(await hasIpv6())) {
      t.skip('no IPv6 loopback on this host');
      return;
    }
    for (const host of ['0.0.0.0', '::']) {
      const peers: string[] = [];
      const l = await listenTcp({
        host,
        port: 0,
        dualStack: true,
        onConnection: (s) => (peers.push(s.remoteAddress ?? ''), s.destroy()),
      });
      assert.equal(l.address.host, host);
      await reach('127.0.0.1', l.address.port);
      await reach('::1', l.address.port);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(peers.sort(), ['::1', '::ffff:127.0.0.1'].sort(), host);
      await l.close();
    }
    const v6 = await listenTcp({ host: '::1', port: 0, onConnection: (s) => s.destroy() });
    assert.deepEqual(v6.address.host, '::1');
    await reach('::1', v6.address.port);
    await v6.close();
  },
);

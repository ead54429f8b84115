// The in-tunnel framing of --forward socks, over a plain loopback socket pair (the transport
// is irrelevant to it): steppe's pipelined client side against the SOCKS5 server the tunnel
// server runs, reply codes carried back, and a clear error when the far side is no SOCKS server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { serveSocks } from '../../src/socks/server.js';
import { connectTcp } from '../../src/net/proxy.js';
import { SocksError } from '../../src/socks/reply.js';
import { requestThroughTunnel } from '../../src/tunnel/inner-socks.js';
import { listenLocal } from '../net/support/loopback.js';

async function pair(
  onServer: (s: Socket) => void,
): Promise<{ client: Socket; close: () => Promise<void> }> {
  const l = await listenLocal(onServer);
  const client = connect({ port: l.port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((r, j) => client.once('connect', r).once('error', j));
  return { client, close: l.close };
}

test('one round trip: greeting and CONNECT written together; data flows after the reply', async () => {
  const echo = await listenLocal((s) => s.pipe(s));
  const firstWrites: Buffer[] = [];
  const p = await pair((s) => {
    s.once('data', (d: Buffer) => firstWrites.push(d));
    void serveSocks(s, {
      args: 'raw',
      onConnect: (req, signal) => connectTcp(req.target, { signal }),
    }).catch(() => undefined);
  });
  try {
    await requestThroughTunnel(p.client, { host: '127.0.0.1', port: echo.port });
    assert.equal(firstWrites.length, 1);
    assert.equal(
      firstWrites[0]?.toString('hex'),
      `050100050100017f000001${echo.port.toString(16).padStart(4, '0')}`,
    );
    const back = new Promise<string>((r) => p.client.once('data', (d: Buffer) => r(d.toString())));
    p.client.resume();
    p.client.write('ping');
    assert.equal(await back, 'ping');
  } finally {
    p.client.destroy();
    await p.close();
    await echo.close();
  }
});

test('host names and IPv6 targets are passed to the server as they are', async () => {
  const seen: string[] = [];
  const p = await pair((s) => {
    void serveSocks(s, {
      args: 'raw',
      onConnect: (req) => {
        seen.push(`${req.target.host}|${req.target.port}`);
        return Promise.reject(new SocksError('no', 2));
      },
    }).catch(() => undefined);
  });
  try {
    await assert.rejects(requestThroughTunnel(p.client, { host: 'example.org', port: 443 }));
  } finally {
    p.client.destroy();
    await p.close();
  }
  const q = await pair((s) => {
    void serveSocks(s, {
      args: 'raw',
      onConnect: (req) => {
        seen.push(`${req.target.host}|${req.target.port}`);
        return Promise.reject(new SocksError('no', 2));
      },
    }).catch(() => undefined);
  });
  try {
    await assert.rejects(requestThroughTunnel(q.client, { host: '2001:db8::7', port: 80 }));
  } finally {
    q.client.destroy();
    await q.close();
  }
  assert.deepEqual(seen, ['example.org|443', '2001:db8::7|80']);
});

test("the server's reply code comes back in a SocksError (refused → 5)", async () => {
  const closed = await listenLocal(() => undefined);
  const port = closed.port;
  await closed.close();
  const p = await pair((s) => {
    void serveSocks(s, {
      args: 'raw',
      onConnect: (req, signal) => connectTcp(req.target, { signal }),
    }).catch(() => undefined);
  });
  try {
    await assert.rejects(
      requestThroughTunnel(p.client, { host: '127.0.0.1', port }),
      (e: unknown) => {
        assert.ok(e instanceof SocksError);
        assert.equal(e.reply, 5);
        assert.match(
          e.message,
          new RegExp(`the server could not connect to 127\\.0\\.0\\.1:${port}: connection refused`),
        );
        return true;
      },
    );
  } finally {
    p.client.destroy();
    await p.close();
  }
});

test('a far side that is not a SOCKS server (a fixed forward to an echo service)', async () => {
  const p = await pair((s) => s.pipe(s));
  try {
    await assert.rejects(
      requestThroughTunnel(p.client, { host: '127.0.0.1', port: 1 }),
      /does not speak SOCKS5 inside the tunnel: start it with --forward socks/,
    );
  } finally {
    p.client.destroy();
    await p.close();
  }
  const q = await pair((s) => s.end());
  try {
    await assert.rejects(
      requestThroughTunnel(q.client, { host: '127.0.0.1', port: 1 }),
      /closed the tunnel instead of connecting/,
    );
  } finally {
    q.client.destroy();
    await q.close();
  }
});

// Every transport's library dial() reaches its server through the same connector option; here
// obfs3, obfs2, dummy, b64 and webtunnel through a SOCKS5 proxy (obfs4 and all proxy kinds:
// test/examples.test.ts; scramblesuit: its own tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { startSocksProxy } from './support/proxies.js';
import { echoBridge, HOST, makePki, SECRET } from '../transports/webtunnel/support.js';

test('obfs3, obfs2, dummy and b64 dial() take the same connector', async () => {
  const { obfs2, obfs3, dummy, b64, proxyConnector } = await import('../../src/index.js');
  const socks = await startSocksProxy();
  const servers: Server[] = [];
  try {
    for (const t of [obfs3, obfs2, dummy, b64] as const) {
      const factory = await t.createServer({});
      const server = createServer((s) => {
        factory.accept(s).then(
          (stream) => stream.pipe(stream),
          () => undefined,
        );
      });
      servers.push(server);
      await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
      const { port } = server.address() as AddressInfo;
      const stream = await t.dial({
        host: '127.0.0.1',
        port,
        connector: proxyConnector(`socks5://127.0.0.1:${socks.port}`),
      });
      stream.write('ping');
      const echo = await new Promise<Buffer>((res) => stream.once('data', res));
      assert.equal(echo.toString(), 'ping');
      stream.destroy();
      assert.equal(socks.targets.at(-1), `127.0.0.1:${port}`);
    }
    assert.equal(socks.targets.length, 4);
  } finally {
    for (const s of servers) s.close();
    await socks.close();
  }
});

test('webtunnel dial() takes the connector; the private-address check still applies to it', async () => {
  const { webtunnel, proxyConnector } = await import('../../src/index.js');
  const pki = await makePki();
  const bridge = await echoBridge({ tlsCert: pki.file('chain.pem'), tlsKey: pki.file('leaf.key') });
  const socks = await startSocksProxy();
  try {
    const opts = {
      url: `https://${HOST}${SECRET}`,
      addr: `127.0.0.1:${bridge.port}`,
      ca: [pki.ca.certPem],
      connector: proxyConnector(`socks5://127.0.0.1:${socks.port}`),
    };
    await assert.rejects(webtunnel.dial(opts), /refusing to dial 127\.0\.0\.1/);
    assert.equal(socks.targets.length, 0, 'a refused address reached the proxy');
    const stream = await webtunnel.dial({ ...opts, allowPrivate: true });
    stream.write('ping');
    const echo = await new Promise<Buffer>((res) => stream.once('data', res));
    assert.equal(echo.toString(), 'ping');
    stream.destroy();
    assert.deepEqual(socks.targets, [`127.0.0.1:${bridge.port}`]);
  } finally {
    await socks.close();
    await bridge.close();
    pki.cleanup();
  }
});

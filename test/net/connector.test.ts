// Every transport's library dial() reaches its server through the same connector option; here
// obfs3 and obfs2 through a SOCKS5 proxy (obfs4 and all proxy kinds: test/examples.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { startSocksProxy } from './support/proxies.js';

test('obfs3 and obfs2 dial() take the same connector', async () => {
  const { obfs2, obfs3, proxyConnector } = await import('../../src/index.js');
  const socks = await startSocksProxy();
  const servers: Server[] = [];
  try {
    for (const t of [obfs3, obfs2] as const) {
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
    assert.equal(socks.targets.length, 2);
  } finally {
    for (const s of servers) s.close();
    await socks.close();
  }
});

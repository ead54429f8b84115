import { createServer } from 'node:net';
import process from 'node:process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createIdentity,
  directConnector,
  obfs4,
  proxyConnector,
  readIdentity,
  writeIdentity,
} from 'steppe';

// A bridge identity, made in memory and written once (obfs4proxy's files: obfs4_state.json).
const stateDir = mkdtempSync(join(tmpdir(), 'bridge-'));
await writeIdentity(stateDir, createIdentity({ transport: 'obfs4', options: { 'iat-mode': 0 } }));

// A bridge that serves it: an echo service behind obfs4.
const bridge = await obfs4.createServer({ stateDir });
const server = createServer((socket) => {
  bridge.accept(socket).then(
    (stream) => stream.pipe(stream),
    () => {}, // a prober: already handled as obfs4proxy does
  );
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();

// What `steppe bridgeline` prints, read without writing anything.
const { clientArgs } = await readIdentity({ transport: 'obfs4', stateDir });
const cert = clientArgs.get('cert')[0];

// A client that reaches the bridge through an upstream proxy when one is given, e.g.
// PROXY=socks5://127.0.0.1:9050 (also socks4a://, http:// for HTTP CONNECT).
const connector = process.env.PROXY ? proxyConnector(process.env.PROXY) : directConnector();
const stream = await obfs4.dial({ host: '127.0.0.1', port, cert, connector });
stream.end('hello through a proxy');
stream.once('data', (echo) => {
  console.log(`echoed: ${echo}`);
  stream.destroy();
  server.close();
});

import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { obfs4 } from 'steppe';

// A bridge. Its identity lives in obfs4proxy's format (obfs4_state.json) in stateDir.
const bridge = await obfs4.createServer({ stateDir: mkdtempSync(join(tmpdir(), 'bridge-')) });
const server = createServer(async (socket) => {
  try {
    const stream = await bridge.accept(socket); // resolves after the handshake
    stream.pipe(stream); // an echo service
  } catch {
    // a failed handshake (a prober?) was already handled as obfs4proxy does: no reply, delayed close
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
console.log(bridge.bridgeLine(`127.0.0.1:${port}`));

// A client, with what a bridge line gives: address, cert, iat-mode.
const stream = await obfs4.dial({
  host: '127.0.0.1',
  port,
  cert: bridge.cert,
  iatMode: 0,
  signal: AbortSignal.timeout(10_000),
});
stream.write('hello through obfs4');
stream.once('data', (echo) => {
  console.log(`echoed: ${echo}`);
  stream.end();
  server.close();
});

/** Listening on an ephemeral loopback port, for the bench's sink and timing relay. */
import type { Server } from 'node:net';
import type { Endpoint } from './socks.js';

/** Listens on 127.0.0.1, port chosen by the kernel; `name` labels the error. */
export function listenLoopback(server: Server, name: string): Promise<Endpoint> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      if (typeof a !== 'object' || a === null) {
        reject(new Error(`${name}: no address`));
        return;
      }
      resolve({ host: '127.0.0.1', port: a.port });
    });
  });
}

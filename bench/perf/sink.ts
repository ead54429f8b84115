/**
 * The far end of every tunnel: what TOR_PT_ORPORT points at. The first byte a connection carries
 * (sent by the load generator through the tunnel) says what the sink does with it:
 *   'U'  upload: discard and count every byte (client→server throughput);
 *   'D'  download: send a large buffer as fast as backpressure allows (server→client);
 *   'E'  echo: send back every byte (handshake latency, idle connections).
 * It lives in the harness process and only touches large buffers, so its cost per byte is small;
 * the harness ceiling (a run with no PT in between) is measured and reported beside the results.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { listenLoopback } from './listen.js';
import type { Endpoint } from './socks.js';

export const CMD_UPLOAD = 0x55; // 'U'
export const CMD_DOWNLOAD = 0x44; // 'D'
export const CMD_ECHO = 0x45; // 'E'

/** Writes `chunk` to `sock` repeatedly, honouring backpressure, until `sock` closes or stop(). */
export function pump(sock: Socket, chunk: Buffer): () => void {
  let stopped = false;
  const go = (): void => {
    while (!stopped && !sock.destroyed) {
      if (!sock.write(chunk)) {
        sock.once('drain', go);
        return;
      }
    }
  };
  sock.once('close', () => {
    stopped = true;
  });
  go();
  return () => {
    stopped = true;
  };
}

export class Sink {
  /** Bytes received on upload connections since the sink started. */
  uploaded = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private endpoint: Endpoint | undefined;

  constructor(private readonly chunk: Buffer) {
    this.server = createServer({ noDelay: true }, (sock) => this.accept(sock));
  }

  async listen(): Promise<Endpoint> {
    this.endpoint = await listenLoopback(this.server, 'sink');
    return this.endpoint;
  }

  get address(): Endpoint {
    if (!this.endpoint) throw new Error('sink: not listening');
    return this.endpoint;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  private accept(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('error', () => {});
    sock.once('close', () => this.sockets.delete(sock));
    sock.once('data', (first: Buffer) => {
      const cmd = first[0];
      const rest = first.subarray(1);
      if (cmd === CMD_UPLOAD) {
        this.uploaded += rest.length;
        sock.on('data', (b: Buffer) => {
          this.uploaded += b.length;
        });
      } else if (cmd === CMD_DOWNLOAD) {
        sock.on('data', () => {});
        pump(sock, this.chunk);
      } else if (cmd === CMD_ECHO) {
        if (rest.length > 0) sock.write(rest);
        sock.on('data', (b: Buffer) => sock.write(b));
      } else {
        sock.destroy();
      }
    });
  }

  /** Drops every connection the sink holds (ends a bulk phase at once on the server side too). */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  close(): Promise<void> {
    this.destroyAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

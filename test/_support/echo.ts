import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createHash } from 'node:crypto';

/** An echo server that also hashes everything each connection sent it, for end-to-end checks. */
export interface HashEcho {
  server: Server;
  port: number;
  /** SHA-256 (hex) of the bytes each finished connection received, in completion order. */
  received: string[];
  /** Bytes read and written so far by each connection still open: where a stalled one stopped. */
  open(): { read: number; written: number }[];
  close(): Promise<void>;
}

/**
 * `banner`: bytes sent to each connection 100 ms after it opens, before echoing starts (a
 * server-speaks-first service). The pause keeps the banner out of the TCP read that carries an
 * obfs4 handshake response: obfs4proxy's client decodes frames that arrive with the response only
 * on its next socket read, so a coalesced banner would wait there forever.
 */
export async function startHashEcho(opts: { banner?: Uint8Array } = {}): Promise<HashEcho> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    const h = createHash('sha256');
    s.on('data', (d) => h.update(d));
    s.on('end', () => s.end());
    s.on('error', () => s.destroy());
    s.on('close', () => {
      // recorded on close, not on 'end': a relay without half-close may tear the connection
      // down with an RST once the client is done
      received.push(h.digest('hex'));
      sockets.delete(s);
    });
    if (opts.banner) {
      const banner = opts.banner;
      setTimeout(() => {
        if (!s.destroyed) s.write(banner);
        s.pipe(s, { end: false });
      }, 100);
    } else {
      s.pipe(s, { end: false });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    received,
    open: () => [...sockets].map((s) => ({ read: s.bytesRead, written: s.bytesWritten })),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

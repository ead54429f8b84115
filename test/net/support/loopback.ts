// Loopback helpers for tests: connected socket pairs, an echo server, and reading helpers.
// Everything binds 127.0.0.1 on a kernel-chosen port and is closed by the caller.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Readable } from 'node:stream';

export async function listenLocal(
  onConn: (s: Socket) => void,
  opts: { allowHalfOpen?: boolean } = {},
): Promise<{
  server: Server;
  port: number;
  close: () => Promise<void>;
}> {
  const server = createServer({ allowHalfOpen: opts.allowHalfOpen ?? true }, onConn);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as AddressInfo).port;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    port,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

/** A connected pair [client, serverSide] over loopback TCP, both with allowHalfOpen. */
export async function socketPair(): Promise<[Socket, Socket, () => Promise<void>]> {
  let accepted: (s: Socket) => void = () => undefined;
  const got = new Promise<Socket>((res) => (accepted = res));
  const l = await listenLocal((s) => accepted(s));
  const client = connect({ port: l.port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((res, rej) => {
    client.once('connect', () => res());
    client.once('error', rej);
  });
  const server = await got;
  return [client, server, l.close];
}

/** An echo server that records how many connections it saw and from where. */
export async function echoServer(): Promise<{
  port: number;
  peers: string[];
  close: () => Promise<void>;
}> {
  const peers: string[] = [];
  const l = await listenLocal((s) => {
    peers.push(s.remoteAddress ?? '?');
    s.on('error', () => undefined);
    s.pipe(s);
  });
  return { port: l.port, peers, close: l.close };
}

/** Reads exactly n bytes (or rejects on end/timeout). */
export function readN(s: Readable, n: number, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    if (s.readableEnded || s.destroyed) {
      reject(new Error(`ended before reading ${n} bytes`));
      return;
    }
    const t = setTimeout(
      () => done(new Error(`timeout: got ${buf.length} of ${n} bytes`)),
      timeoutMs,
    );
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= n) {
        const extra = buf.subarray(n);
        // Stop listening (and pause) before pushing the surplus back, or unshift would
        // re-emit it to this very listener.
        done(null, buf.subarray(0, n));
        if (extra.length > 0) s.unshift(extra);
      }
    };
    const onEnd = (): void => done(new Error(`ended after ${buf.length} of ${n} bytes`));
    function done(err: Error | null, v?: Buffer): void {
      clearTimeout(t);
      s.off('data', onData);
      s.off('end', onEnd);
      s.off('close', onEnd);
      s.pause();
      if (err) reject(err);
      else resolve(v as Buffer);
    }
    s.on('data', onData);
    s.once('end', onEnd);
    s.once('close', onEnd);
    s.resume();
  });
}

/** Reads until the stream ends; resolves with everything. */
export function readAll(s: Readable, timeoutMs = 10000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const t = setTimeout(() => reject(new Error('timeout waiting for end')), timeoutMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    const fin = (): void => {
      clearTimeout(t);
      resolve(Buffer.concat(chunks));
    };
    s.once('end', fin);
    s.once('close', fin);
    s.resume();
  });
}

export function waitClose(s: Socket, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (s.closed) {
      resolve();
      return;
    }
    const t = setTimeout(() => reject(new Error('timeout waiting for close')), timeoutMs);
    s.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const l = await listenLocal(() => undefined);
  const p = l.port;
  await l.close();
  return p;
}

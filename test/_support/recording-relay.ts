// A TCP relay on 127.0.0.1 that records what the first connection's client sent before the
// server's first answer: an obfs4 client handshake, to replay in tests.
import { connect, type Socket } from 'node:net';
import { listenLocal } from '../net/support/loopback.js';

export interface RecordingRelay {
  readonly port: number;
  firstFlight(): Buffer;
  close(): Promise<void>;
}

/** Forwards to `port`, keeping what the first connection's client sent before any answer. */
export async function recordingRelay(port: number): Promise<RecordingRelay> {
  const flights: Buffer[][] = [];
  let done = false;
  const l = await listenLocal((c: Socket) => {
    const mine: Buffer[] | null = flights.length === 0 ? [] : null;
    if (mine !== null) flights.push(mine);
    const up = connect({ host: '127.0.0.1', port });
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
    c.on('data', (d: Buffer) => {
      if (mine !== null && !done) mine.push(d);
      up.write(d);
    });
    up.on('data', (d: Buffer) => {
      if (mine !== null) done = true;
      c.write(d);
    });
    c.on('end', () => up.end());
    up.on('end', () => c.end());
  });
  return { port: l.port, firstFlight: () => Buffer.concat(flights[0] ?? []), close: l.close };
}

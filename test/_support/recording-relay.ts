// A TCP relay on 127.0.0.1 that records what the first connection's client sent before the
// server's first answer: an obfs4 client handshake, to replay in tests.
import assert from 'node:assert/strict';
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

/**
 * Sends `bytes` (a recorded handshake) to `port`; once worker `w`'s refusal of the replay shows
 * in `log()` (polled, bounded), closes and resolves with how many bytes came back (the server
 * keeps the socket open for its probe-resistance delay: no need to wait for it).
 */
export async function replayToWorker(
  port: number,
  bytes: Buffer,
  w: number,
  log: () => string,
): Promise<number> {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  let got = 0;
  s.on('data', (d: Buffer) => (got += d.length));
  await new Promise<void>((res) => s.once('connect', () => res()));
  s.write(bytes);
  const refused = new RegExp(
    `worker ${w}: obfs4\\([^)]*\\) - handshake failed: obfs4 client handshake replayed`,
  );
  for (let i = 0; i < 100 && !refused.test(log()); i++)
    await new Promise((r) => setTimeout(r, 100));
  s.destroy();
  assert.match(log(), refused);
  return got;
}

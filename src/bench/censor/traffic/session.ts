import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AttemptResult, AttemptStage, Endpoint } from './types.js';

/** Connects a TCP socket, optionally from a given loopback source address. */
export function connectTcp(
  ep: Endpoint,
  opts: { localAddress?: string; signal?: AbortSignal } = {},
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({
      host: ep.host,
      port: ep.port,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    s.setNoDelay(true);
    const onAbort = (): void => {
      s.destroy();
      reject(new Error('connect timed out'));
    };
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    s.once('connect', () => {
      opts.signal?.removeEventListener('abort', onAbort);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
  });
}

/**
 * Reads until `n` bytes arrived; resolves with them, rejects on EOF, error or abort. Surplus bytes
 * are put back and the stream is left paused for the next reader.
 */
export function readExactly(stream: Duplex, n: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const done = (err?: Error): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onEnd);
      signal.removeEventListener('abort', onAbort);
      // Paused, so nothing is emitted (and lost) before the next reader attaches.
      stream.pause();
      if (err) reject(err);
      else {
        const all = Buffer.concat(parts);
        if (all.length > n) stream.unshift(all.subarray(n));
        resolve(all.subarray(0, n));
      }
    };
    const onData = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) done();
    };
    const onEnd = (): void => done(new Error(`stream ended after ${got} of ${n} bytes`));
    const onError = (e: Error): void => done(e);
    const onAbort = (): void => done(new Error(`timed out after ${got} of ${n} bytes`));
    if (signal.aborted) return onAbort();
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    stream.resume();
  });
}

/**
 * Writes `n` random bytes and checks the echo byte for byte (SHA-256), the data phase of every
 * echo-served row.
 */
export async function echoCheck(
  stream: Duplex,
  n: number,
  signal: AbortSignal,
): Promise<{ sent: number; received: number }> {
  const data = randomBytes(n);
  const want = createHash('sha256').update(data).digest('hex');
  const reading = readExactly(stream, n, signal);
  stream.write(data);
  const got = await reading;
  if (createHash('sha256').update(got).digest('hex') !== want) {
    throw new Error('echo mismatch (SHA-256 differs)');
  }
  return { sent: n, received: got.length };
}

/** Serves an echo on a Duplex (backpressure through pipe). */
export function serveEcho(stream: Duplex): void {
  stream.on('error', () => {});
  stream.pipe(stream);
}

function progressOf(streams: readonly Duplex[]): number {
  let n = 0;
  for (const s of streams) {
    const x = s as Partial<Socket>;
    n += (x.bytesRead ?? 0) + (x.bytesWritten ?? 0);
  }
  return n;
}

/**
 * Runs a session body and never rejects. A session fails when it makes no progress (no byte read
 * or written on any socket it owns) for `timeoutMs`: that is what a censor's drop looks like,
 * while a session that is merely slow (a loaded machine) keeps moving. A hard cap of six times
 * that bounds every session. Whatever the body opens must be registered through `own`.
 */
export async function runAttempt(
  timeoutMs: number,
  body: (ctx: {
    signal: AbortSignal;
    stage: (s: AttemptStage) => void;
    own: (s: Duplex) => void;
    count: (sent: number, received: number) => void;
  }) => Promise<void>,
): Promise<AttemptResult> {
  const t0 = performance.now();
  const ac = new AbortController();
  let stage: AttemptStage = 'connect';
  let sent = 0;
  let received = 0;
  const owned: Duplex[] = [];
  let last = progressOf(owned);
  let lastAt = t0;
  let why = '';
  const poll = setInterval(
    () => {
      const now = performance.now();
      const p = progressOf(owned);
      if (p !== last) {
        last = p;
        lastAt = now;
      } else if (now - lastAt >= timeoutMs) {
        why = `no progress in ${timeoutMs} ms`;
        ac.abort();
      }
      if (now - t0 >= 6 * timeoutMs) {
        why = `not done after ${6 * timeoutMs} ms`;
        ac.abort();
      }
    },
    Math.max(10, Math.min(100, timeoutMs / 20)),
  );
  const fail = new Promise<never>((_, reject) => {
    ac.signal.addEventListener('abort', () => reject(new Error(why || 'aborted')));
  });
  fail.catch(() => {});
  try {
    await Promise.race([
      body({
        signal: ac.signal,
        stage: (s) => (stage = s),
        own: (s) => owned.push(s),
        count: (a, b) => {
          sent += a;
          received += b;
        },
      }),
      fail,
    ]);
    return {
      ok: true,
      stage: 'done',
      ms: performance.now() - t0,
      bytesSent: sent,
      bytesReceived: received,
    };
  } catch (e) {
    return {
      ok: false,
      stage,
      ms: performance.now() - t0,
      bytesSent: sent,
      bytesReceived: received,
      error: why || (e instanceof Error ? e.message : String(e)),
    };
  } finally {
    clearInterval(poll);
    ac.abort();
    for (const s of owned) s.destroy();
  }
}

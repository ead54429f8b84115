/**
 * Noticing that the process is out of file descriptors. Node never says so for a listener: when
 * accept() fails with EMFILE, libuv closes its reserve descriptor, accepts every waiting
 * connection and closes it at once, reopens the reserve, and reports nothing (no 'error' on the
 * server). The listener keeps working and serves again as soon as descriptors free up, but the
 * operator would never learn why clients are dropped. So a listener that reports accept errors
 * also compares the process's open descriptors (/proc/self/fd) with its limit (/proc/self/limits)
 * once a second, and only when connections arrived since the last look could have brought it near
 * the limit: a quiet or lightly loaded bridge never scans. Linux only; elsewhere it does nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { AcceptErrorSink } from './accept-errors.js';

/** The soft RLIMIT_NOFILE of this process, or undefined (not Linux, or unlimited). */
export function fdLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Descriptors this process has open (not counting the one the count itself opens). */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length - 1;
}

export interface FdPressure {
  /** A connection was accepted (each may hold two descriptors: its own and its upstream). */
  accepted(): void;
  stop(): void;
}

/** At most this many descriptors below the limit count as "out of descriptors". */
const MARGIN = 2;

export function watchFdPressure(
  sink: AcceptErrorSink,
  opts: { intervalMs?: number; limit?: number; count?: () => number } = {},
): FdPressure {
  const limit = opts.limit ?? fdLimit();
  if (limit === undefined) return { accepted: () => {}, stop: () => {} };
  const count = opts.count ?? openFdCount;
  let last = count();
  let acceptedSince = 0;
  let exhausted = false;
  const timer = setInterval(() => {
    // Only connections open descriptors here; each accounts for at most two. Far from the limit
    // even in the worst case: no need to look.
    if (!exhausted && last + 2 * acceptedSince + MARGIN < limit * 0.9) return;
    try {
      last = count();
    } catch (e) {
      // Reading /proc/self/fd needs a descriptor too: failing for want of one is the answer.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EMFILE' && code !== 'ENFILE') return;
      last = limit;
    }
    acceptedSince = 0;
    if (last >= limit - MARGIN) {
      exhausted = true;
      const err: NodeJS.ErrnoException = new Error(`${last} of ${limit} descriptors in use`);
      err.code = 'EMFILE';
      sink.error(err);
    } else if (exhausted) {
      exhausted = false;
      sink.accepted();
    }
  }, opts.intervalMs ?? 1000);
  timer.unref();
  return {
    accepted: () => {
      acceptedSince++;
    },
    stop: () => clearInterval(timer),
  };
}

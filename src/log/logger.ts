/**
 * steppe's log: off by default (like obfs4proxy), to a file in the state directory or to stderr
 * when enabled, never to stdout (tor's IPC channel). Every message passes through the address
 * scrubber unless the operator asked for unsafe logging.
 */
import { createRequire } from 'node:module';
import type pinoModule from 'pino';
import { scrubAddr, scrubText } from './scrub.js';

/**
 * pino is loaded when a log is opened, not at import: logging is off by default, and pino's
 * module graph costs a managed process ~5 MiB of RSS at start (measured with /proc/self/smaps).
 */
function loadPino(): typeof pinoModule {
  return createRequire(import.meta.url)('pino') as typeof pinoModule;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  readonly enabled: boolean;
  error(message: string): void;
  warn(message: string): void;
  /** Always written when logging is on, whatever the level ("launched", "terminated"). */
  notice(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** An address for a message: scrubbed unless unsafe logging is on. */
  addr(address: string): string;
  /** Writes out anything buffered (the file destination is synchronous; this is for stderr). */
  flush(): void;
  /** Flushes and closes a log file (stderr stays open); later messages are dropped. */
  close(): void;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** A file path (created 0600, appended to), or 'stderr'. */
  readonly destination: string;
  /** Keep addresses in messages (--unsafe-logging). */
  readonly unsafe: boolean;
}

/** Accepts steppe's names and obfs4proxy's (ERROR/WARN/INFO/DEBUG), any case; null otherwise. */
export function parseLogLevel(s: string): LogLevel | null {
  switch (s.toLowerCase()) {
    case 'error':
      return 'error';
    case 'warn':
    case 'warning':
      return 'warn';
    case 'info':
    case 'notice':
      return 'info';
    case 'debug':
      return 'debug';
    default:
      return null;
  }
}

/** A logger that drops everything (the default). */
export const silentLogger: Logger = {
  enabled: false,
  error: noop,
  warn: noop,
  notice: noop,
  info: noop,
  debug: noop,
  addr: (a) => scrubAddr(a),
  flush: noop,
  close: noop,
};

/**
 * Opens the log.
 * @throws Error when the file cannot be opened (the caller reports it to the operator).
 */
export function createLogger(opts: LoggerOptions): Logger {
  const pino = loadPino();
  const dest =
    opts.destination === 'stderr'
      ? pino.destination({ dest: 2, sync: true })
      : pino.destination({
          dest: opts.destination,
          sync: true,
          mkdir: true,
          mode: 0o600,
          append: true,
        });
  // "notice" sits above "error" so that it is written at every level, as obfs4proxy's NOTICE is.
  const p = pino(
    {
      level: opts.level,
      customLevels: { notice: 55 },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
  const clean = opts.unsafe ? (m: string): string => m : scrubText;
  // A message logged after close (a connection finishing while a reload swaps the log) is
  // dropped rather than written to a closed file descriptor.
  let closed = false;
  return {
    enabled: true,
    error: (m) => {
      if (!closed) p.error(clean(m));
    },
    warn: (m) => {
      if (!closed) p.warn(clean(m));
    },
    notice: (m) => {
      if (!closed) p.notice(clean(m));
    },
    info: (m) => {
      if (!closed) p.info(clean(m));
    },
    debug: (m) => {
      if (!closed) p.debug(clean(m));
    },
    addr: opts.unsafe ? (a) => a : scrubAddr,
    flush: () => {
      try {
        dest.flushSync();
      } catch {
        // nothing buffered, or the destination is gone: nothing to do
      }
    },
    close: () => {
      if (opts.destination === 'stderr') return;
      closed = true;
      try {
        dest.flushSync();
      } catch {
        // nothing buffered
      }
      dest.end();
    },
  };
}

function noop(): void {
  // deliberately empty
}

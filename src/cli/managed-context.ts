/**
 * What the managed client and server share: the stdout writer, the log, the lifecycle, a
 * rate-limited way to tell the operator (through tor's log) about problems that only show up
 * per connection, such as a bad Bridge line or a wrong ExtORPort cookie, and the connection
 * handler that is imported by a listener's first connection.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { AcceptErrorReport } from '../net/accept-errors.js';
import type { Lifecycle } from '../pt/lifecycle.js';
import type { LogSeverity, PtWriter } from '../pt/writer.js';
import type { StatsBook } from '../tunnel/stats-book.js';

export interface ManagedContext {
  readonly writer: PtWriter;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  /** In a worker process: a stand-in that passes the message to the primary. */
  readonly operator: Pick<OperatorNotices, 'notify'>;
  /** Per-transport counters for `--metrics`; null when metrics are off. */
  readonly stats: StatsBook | null;
}

/**
 * Sends `LOG` lines to tor, at most one per distinct message per interval, so that a client
 * retrying a bad Bridge line every few seconds cannot flood tor's log.
 */
export class OperatorNotices {
  readonly #writer: PtWriter;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, number>();

  constructor(writer: PtWriter, intervalMs = 60_000, now: () => number = Date.now) {
    this.#writer = writer;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Returns true when the line was written. Messages must not contain client addresses. */
  notify(severity: LogSeverity, message: string): boolean {
    const t = this.#now();
    const prev = this.#last.get(message);
    if (prev !== undefined && t - prev < this.#intervalMs) return false;
    if (this.#last.size > 256) this.#last.clear(); // bound the memory; worst case a repeat line
    this.#last.set(message, t);
    this.#writer.log(severity, message);
    return true;
  }
}

/**
 * Accept failures of a managed listener: each rate-limited line to steppe's log, and tor's log
 * told once per OperatorNotices interval (no count in it, so that repeats are recognised).
 */
export function managedAcceptErrors(ctx: ManagedContext, transport: string): AcceptErrorReport {
  return new AcceptErrorReport(`${transport} listener`, (message, failure) => {
    ctx.logger.error(message);
    if (failure !== undefined) {
      ctx.operator.notify(
        'warning',
        `${transport} listener: cannot accept connections: ${failure}`,
      );
    }
  });
}

/**
 * A listener's connection handler that `load` builds on the first connection: what serves
 * connections (the transport's handshake, SOCKS, the ORPort client) is imported only once a
 * connection needs it, which keeps a PT that tor starts but never uses small. Connections that
 * arrive while it loads wait, their bytes buffered by the socket. When loading fails, each
 * connection is closed and the failure logged (tor hears of it at most once per interval).
 */
export function deferredHandler(
  ctx: ManagedContext,
  name: string,
  load: () => Promise<(socket: Socket) => void>,
): (socket: Socket) => void {
  let handler: ((socket: Socket) => void) | undefined;
  let loading: Promise<(socket: Socket) => void> | undefined;
  return (socket) => {
    if (handler !== undefined) return handler(socket);
    // A reset before the handler is there must not be an unhandled 'error'.
    const ignore = (): void => {};
    socket.on('error', ignore);
    if (loading === undefined) {
      const started = Date.now();
      loading = load().then((h) => {
        handler = h;
        ctx.logger.info(`${name} - loaded by the first connection in ${Date.now() - started} ms`);
        return h;
      });
    }
    loading.then(
      (h) => {
        socket.off('error', ignore);
        if (!socket.destroyed) h(socket);
      },
      (e: unknown) => {
        socket.destroy();
        const msg = (e as Error).message;
        ctx.logger.error(`${name} - cannot serve connections: ${msg}`);
        ctx.operator.notify('error', `${name}: ${msg}`);
      },
    );
  };
}

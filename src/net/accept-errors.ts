/**
 * What a listener says when accept() fails. Out of file descriptors (EMFILE, or ENFILE for the
 * whole system) is the case that matters: a flood of connections or a low `ulimit -n`. libuv then
 * accepts and closes the waiting connections itself (it keeps one descriptor in reserve for that)
 * and Node hears nothing (net/fd-pressure.ts notices by counting descriptors); other accept
 * errors reach the server's 'error' event. Either way the listener stays up. A flood would turn
 * that into thousands of log lines, so the operator gets one failure line per interval, with a
 * count of what it left out, and one line when connections are accepted again.
 */

/** Receives a listener's accept failures and successes (net/listen.ts calls it). */
export interface AcceptErrorSink {
  error(err: NodeJS.ErrnoException): void;
  accepted(): void;
}

/** Why accept failed, in words an operator can act on. */
export function describeAcceptError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EMFILE':
      // No syscall: the count from net/fd-pressure.ts ("250 of 256 descriptors in use").
      return `EMFILE: the process is out of file descriptors (${err.syscall === undefined ? `${err.message}; ` : ''}raise ulimit -n / LimitNOFILE)`;
    case 'ENFILE':
      return 'ENFILE: the system is out of file descriptors (fs.file-max)';
    default:
      return `${err.code ?? 'error'}: ${err.message}`;
  }
}

/** Rate-limited reporting: at most one failure line per `intervalMs`. */
export class AcceptErrorReport implements AcceptErrorSink {
  #lastLine = Number.NEGATIVE_INFINITY;
  /** Failures since the last line. */
  #untold = 0;
  /** Failures since the listener last worked (0: healthy). */
  #failing = 0;

  constructor(
    /** e.g. "obfs4 listener" */
    private readonly what: string,
    /** `failure`: describeAcceptError's text; undefined for the "accepting again" line. */
    private readonly say: (message: string, failure?: string) => void,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  error(err: NodeJS.ErrnoException): void {
    this.#failing++;
    const t = this.now();
    if (t - this.#lastLine < this.intervalMs) {
      this.#untold++;
      return;
    }
    const more = this.#untold > 0 ? ` (${this.#untold} more since the last message)` : '';
    const failure = describeAcceptError(err);
    this.say(
      `${this.what}: cannot accept connections: ${failure}; new connections are closed until descriptors free up${more}`,
      failure,
    );
    this.#lastLine = t;
    this.#untold = 0;
  }

  /** Connections are accepted again: one line, and the next failure waits for the interval. */
  accepted(): void {
    if (this.#failing === 0) return;
    this.say(`${this.what}: accepting connections again`);
    this.#failing = 0;
  }
}

// Reads a child process's stdout as lines and its stderr as text, for tests that wait for a
// line (a "ready" line, a managed-proxy protocol line) before going on.
import type { ChildProcess } from 'node:child_process';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LineWatch {
  /** Every complete stdout line so far. */
  readonly lines: string[];
  stderr(): string;
  /** The first stdout line (seen or future) matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<ExitStatus>;
}

export interface LineWatchOptions {
  readonly defaultTimeoutMs: number;
  /** Fail a pending wait as soon as the process exits instead of at its timeout. */
  readonly rejectOnExit: boolean;
}

export function watchLines(proc: ChildProcess, opts: LineWatchOptions): LineWatch {
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  let partial = '';
  let err = '';
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (chunk: string) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (c: string) => (err += c));
  const exited = new Promise<ExitStatus>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    lines,
    stderr: () => err,
    waitForLine: (re, timeoutMs = opts.defaultTimeoutMs) => {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `no stdout line matching ${re} within ${timeoutMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${err}`,
              ),
            ),
          timeoutMs,
        );
        if (opts.rejectOnExit) {
          void exited.then(({ code }) => {
            clearTimeout(t);
            reject(
              new Error(`the process exited (${code}) before printing ${re}; stderr:\n${err}`),
            );
          });
        }
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
      });
    },
    exited,
  };
}

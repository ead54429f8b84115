// Spawns a managed PT the way tor does (TOR_PT_* environment, stdin a pipe) and reads its
// stdout protocol lines. Every process is stopped by its own handle at the end of a test.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const STEPPE_BIN = fileURLToPath(new URL('../../../../bin/steppe', import.meta.url));
export const IDENTITY_ENTRY = fileURLToPath(new URL('./pt-entry.js', import.meta.url));

export interface PtProcess {
  readonly proc: ChildProcess;
  readonly lines: string[];
  stderr(): string;
  /** Resolves with the first line (already seen or future) matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGKILL if still running (cleanup). */
  stop(): Promise<void>;
}

export function spawnPt(
  which: 'steppe' | 'identity' | string[],
  env: Record<string, string>,
  args: string[] = [],
): PtProcess {
  const argv =
    which === 'steppe'
      ? [STEPPE_BIN, ...args]
      : which === 'identity'
        ? [process.execPath, IDENTITY_ENTRY, ...args]
        : [...which, ...args];
  const [cmd, ...rest] = argv;
  const proc = spawn(cmd ?? '', rest, {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
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
  proc.stdin?.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    proc,
    lines,
    stderr: () => err,
    waitForLine: (re, timeoutMs = 15_000) => {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `no line matching ${re} within ${timeoutMs} ms; got:\n${lines.join('\n')}\nstderr:\n${err}`,
              ),
            ),
          timeoutMs,
        );
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
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Waits for the process to exit, failing the test after `timeoutMs`. */
export async function exitWithin(
  p: PtProcess,
  timeoutMs = 10_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `process did not exit within ${timeoutMs} ms; lines:\n${p.lines.join('\n')}\nstderr:\n${p.stderr()}`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `CMETHOD <name> socks5 127.0.0.1:<port>` → port. */
export function methodPort(line: string): number {
  const m = /:(\d+)(?:\s|$)/.exec(line.split(' ').slice(0, 4).join(' '));
  if (m === null) throw new Error(`no port in ${line}`);
  return Number(m[1]);
}

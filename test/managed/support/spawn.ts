// Spawns a managed PT the way tor does (TOR_PT_* environment, stdin a pipe) and reads its
// stdout protocol lines. Every process is stopped by its own handle at the end of a test.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { watchLines, type ExitStatus } from '../../_support/child-lines.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const STEPPE_BIN = fileURLToPath(new URL('../../../../bin/steppe', import.meta.url));
export const IDENTITY_ENTRY = fileURLToPath(new URL('./pt-entry.js', import.meta.url));

export interface PtProcess {
  readonly proc: ChildProcess;
  readonly lines: string[];
  stderr(): string;
  /** Resolves with the first line (already seen or future) matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<ExitStatus>;
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
  proc.stdin?.on('error', () => undefined);
  const watch = watchLines(proc, { defaultTimeoutMs: 15_000, rejectOnExit: false });
  const { exited } = watch;
  return {
    proc,
    ...watch,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Waits for the process to exit, failing the test after `timeoutMs`. */
export async function exitWithin(p: PtProcess, timeoutMs = 10_000): Promise<ExitStatus> {
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

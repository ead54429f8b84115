// Runs the real bin/steppe (the compiled CLI) as a child process and reads its stdout lines.
// Every process is stopped through its own handle (SIGTERM, then SIGKILL after 3 s).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { watchLines, type ExitStatus } from '../../_support/child-lines.js';

export const STEPPE_BIN = fileURLToPath(new URL('../../../../bin/steppe', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface SteppeProcess {
  readonly proc: ChildProcess;
  readonly lines: string[];
  stderr(): string;
  /** The first stdout line (seen or future) matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<ExitStatus>;
  stop(): Promise<void>;
}

export function runSteppe(args: string[], env: Record<string, string> = {}): SteppeProcess {
  const proc = spawn(process.execPath, [STEPPE_BIN, ...args], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/tmp',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const watch = watchLines(proc, { defaultTimeoutMs: 20_000, rejectOnExit: true });
  const { exited } = watch;
  return {
    proc,
    ...watch,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Runs steppe to completion (bounded) and returns its exit status and output. */
export async function runToExit(
  args: string[],
  timeoutMs = 30_000,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = runSteppe(args, env);
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), timeoutMs);
  const { code } = await p.exited;
  clearTimeout(timer);
  // let the pipes drain
  await new Promise((r) => setImmediate(r));
  return { code, stdout: p.lines.join('\n'), stderr: p.stderr() };
}

/** `ready: ... on 127.0.0.1:PORT ...` / `ready: 127.0.0.1:PORT forwards ...` → port. */
export function readyPort(line: string): number {
  const m = /(?:on |ready: )(?:\[[^\]]+\]|[\d.]+|[\w.-]+):(\d+)/.exec(line);
  if (m?.[1] === undefined) throw new Error(`no port in ${line}`);
  return Number(m[1]);
}

export interface SteppeServer {
  readonly p: SteppeProcess;
  readonly port: number;
  readonly bridgeLine: string;
  readonly share: string;
  readonly cert: string;
}

/** Starts `steppe server` on 127.0.0.1:0 and waits for its bridge line, share and ready line. */
export async function startSteppeServer(args: string[]): Promise<SteppeServer> {
  const p = runSteppe(['server', '--listen', '127.0.0.1:0', ...args]);
  try {
    const bridgeLine = await p.waitForLine(/^Bridge /);
    const share = await p.waitForLine(/^steppe:\/\//);
    const ready = await p.waitForLine(/^ready: /);
    const cert = /cert=(\S+)/.exec(bridgeLine)?.[1] ?? '';
    return { p, port: readyPort(ready), bridgeLine, share, cert };
  } catch (e) {
    await p.stop();
    throw e;
  }
}

/** Starts `steppe client` with a local listener on 127.0.0.1:0 and waits for its ready line. */
export async function startSteppeClient(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ p: SteppeProcess; port: number }> {
  const p = runSteppe(['client', ...args], env);
  try {
    const ready = await p.waitForLine(/^ready: /, 40_000);
    return { p, port: readyPort(ready) };
  } catch (e) {
    await p.stop();
    throw e;
  }
}

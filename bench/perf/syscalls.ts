/**
 * Syscalls per MiB moved, per PT process: `strace -c -f -p PID` attached for one bulk window.
 * strace slows the traced process a lot, so this runs as its own step (never during a measured
 * window) and only the counts per byte are meaningful, not the throughput while tracing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SyscallCount {
  name: string;
  calls: number;
  errors: number;
}

export function haveStrace(): boolean {
  return spawnSync('strace', ['-V']).status === 0;
}

/** Parses the table `strace -c` prints. */
export function parseStraceSummary(text: string): SyscallCount[] {
  const out: SyscallCount[] = [];
  for (const line of text.split('\n')) {
    // % time  seconds  usecs/call  calls  [errors]  syscall
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d+\s+)?([a-z_0-9]+)\s*$/.exec(line);
    if (!m || m[3] === 'total') continue;
    out.push({ name: m[3] ?? '?', calls: Number(m[1]), errors: Number(m[2] ?? 0) });
  }
  return out.sort((a, b) => b.calls - a.calls);
}

/** Attaches strace to `pid` until the returned stop() is called, which yields the counts. */
export function traceSyscalls(pid: number): { stop: () => Promise<SyscallCount[]> } {
  const dir = mkdtempSync(join(tmpdir(), 'steppe-strace-'));
  const file = join(dir, 'summary.txt');
  const child: ChildProcess = spawn('strace', ['-c', '-f', '-o', file, '-p', String(pid)], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stop: async () => {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        // strace could not attach (no ptrace permission): no counts.
      }
      rmSync(dir, { recursive: true, force: true });
      return parseStraceSummary(text);
    },
  };
}

/**
 * Per-process CPU time and resident memory, read from /proc so that the same numbers come out for
 * a Go binary (obfs4proxy, many threads) and a Node process (steppe): /proc/<pid>/stat sums every
 * thread of the process, which is what "CPU seconds spent by the client" means.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks: number | undefined;

/** Clock ticks per second for utime/stime (`getconf CLK_TCK`; 100 on every Linux we target). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      clockTicks = 100;
    }
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

/** utime + stime of the whole process in seconds, or NaN if it is gone. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * utime + stime of the process's first thread alone, or NaN. For Node that is the event loop;
 * the rest of the process is V8's compiler and GC helpers and libuv's pool. Go runs goroutines on
 * any of its threads, so there the split says little.
 */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

/**
 * System time (stime) of the whole process in seconds, or NaN: its CPU spent in the kernel on
 * its behalf (for a PT on loopback: connect, accept, the TCP writes that also run the receiver's
 * side, close, and the sleeps and wake-ups of its threads).
 */
export function systemCpuSeconds(pid: number): number {
  return statTimes(`/proc/${pid}/stat`)?.stime ?? Number.NaN;
}

function statCpuSeconds(path: string): number {
  const t = statTimes(path);
  return t === null ? Number.NaN : t.utime + t.stime;
}

/** utime and stime (seconds) from a /proc stat file, or null if it cannot be read. */
function statTimes(path: string): { utime: number; stime: number } | null {
  try {
    const stat = readFileSync(path, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces; count from after it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { utime: Number(rest[11]) / clkTck(), stime: Number(rest[12]) / clkTck() };
  } catch {
    return null;
  }
}

/** VmRSS in KiB, or NaN if the process is gone. */
export function rssKiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds of this (harness) process: user + system. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Busy CPU seconds of the whole machine (all cores) from /proc/stat. Subtracting the PTs' and the
 * harness's own time tells how much other load shared the cores during a measurement: on a busy
 * 2-core machine that is the main source of noise, so the report shows it.
 */
export function systemBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: everything but idle and iowait.
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy / clkTck();
  } catch {
    return Number.NaN;
  }
}

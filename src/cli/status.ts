/**
 * The live status line of `steppe server` / `steppe client` on a terminal: one line rewritten
 * in place every second with open and total connections, bytes each way and handshake
 * failures. Only used when stdout is a TTY; with a pipe or a file nothing is written.
 */
import type { StatsSnapshot, TunnelStats } from '../tunnel/stats.js';

export interface StatusOutput {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/** The text of the line (without the terminal control codes). */
export function formatStatus(label: string, s: StatsSnapshot): string {
  const parts = [
    `${s.active} open`,
    `${s.total} total`,
    `up ${formatBytes(s.bytesUp)}`,
    `down ${formatBytes(s.bytesDown)}`,
    `${s.handshakesFailed} failed handshake${s.handshakesFailed === 1 ? '' : 's'}`,
  ];
  // ScrambleSuit: how many connections skipped the UniformDH round trip with a session ticket.
  const tickets = s.handshakeKinds.get('ticket');
  if (tickets !== undefined) parts.push(`${tickets} by ticket`);
  if (s.connectFailures > 0) parts.push(`${s.connectFailures} connect failures`);
  return `${label} | ${parts.join(' | ')}`;
}

export interface StatusLine {
  /** Redraws now (also called by the timer). */
  render(): void;
  /** Stops the timer and leaves the last line in place, ending it with a newline. */
  stop(): void;
}

export function startStatusLine(
  stats: Pick<TunnelStats, 'snapshot'>,
  label: string,
  out: StatusOutput,
  intervalMs = 1000,
): StatusLine {
  let stopped = false;
  const render = (): void => {
    if (stopped) return;
    let text = formatStatus(label, stats.snapshot());
    const width = out.columns ?? 0;
    if (width > 1 && text.length > width - 1) text = text.slice(0, width - 1);
    // carriage return, erase the line, then the text: the cursor stays on the status line
    out.write(`\r\x1b[2K${text}`);
  };
  const timer = setInterval(render, intervalMs);
  timer.unref();
  render();
  return {
    render,
    stop: () => {
      if (stopped) return;
      render();
      stopped = true;
      clearInterval(timer);
      out.write('\n');
    },
  };
}

/**
 * Command-line options of `npm run bench:soak`. The default run is short (a minute of load) so
 * that it can be tried at once; `--duration 30m` is the run quoted in bench/soak/README.md.
 * Rates are per pair and deliberately modest: the point is what accumulates over time, not
 * throughput, and the bench must not take the whole of a shared 2-core machine.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export interface SoakConfig {
  /** Milliseconds of mixed load. */
  readonly durationMs: number;
  /** Milliseconds between samples. */
  readonly intervalMs: number;
  /** Milliseconds after the load stops (every bench socket closed) before the last sample. */
  readonly drainMs: number;
  readonly iatMode: 0 | 1 | 2;
  /** Short tunnelled connections started per second (connect, SOCKS, handshake, echo, close). */
  readonly churnPerSec: number;
  /** Idle tunnelled connections kept open, and how many of them are replaced per second. */
  readonly idle: number;
  readonly idleTurnoverPerSec: number;
  /** Bytes echoed by one bulk transfer, and the pause between two. */
  readonly bulkBytes: number;
  readonly bulkPauseMs: number;
  /** Garbage connections to the bridge port per second, and how many may be open at once. */
  readonly probesPerSec: number;
  readonly maxProbes: number;
  /** Slowloris connections held against the bridge port (one byte every `slowByteMs`). */
  readonly slowloris: number;
  readonly slowByteMs: number;
  readonly outDir: string;
  readonly command: string;
}

const USAGE = `usage: npm run bench:soak -- [options]
  --duration D        mixed load for D (e.g. 90s, 30m, 2h; default 60s)
  --interval D        time between samples (default: duration/90, within 2s..30s)
  --drain D           after the load: every bench socket closed, wait D, sample (default: 100s
                      for runs of 10 min or more, else 5s; obfs4's handshake deadline is 30-90 s)
  --iat-mode N        0, 1 or 2 (default 0)
  --churn N           short connections per second per pair (default 4)
  --idle N            idle connections held per pair (default 200)
  --probes N          garbage connections per second per pair (default 2)
  --slowloris N       slowloris connections held per pair (default 50)
  --out DIR           where to write soak-latest.{json,md,svg} (default: <repo>/bench-results)
  -h, --help`;

/** "90", "90s", "30m", "2h", "500ms" → milliseconds. */
export function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new RangeError(`${what}: "${s}" is not a duration (e.g. 90s, 30m, 2h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  return Math.round(Number(m[1]) * unit);
}

function count(s: string | undefined, def: number, what: string, max: number): number {
  if (s === undefined) return def;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0 || n > max)
    throw new RangeError(`${what} must be a number in 0..${max}, got "${s}"`);
  return n;
}

export function parseSoakConfig(argv: readonly string[]): SoakConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      interval: { type: 'string' },
      drain: { type: 'string' },
      'iat-mode': { type: 'string' },
      churn: { type: 'string' },
      idle: { type: 'string' },
      probes: { type: 'string' },
      slowloris: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const durationMs = parseDuration(values.duration ?? '60s', '--duration');
  if (durationMs < 1000) throw new RangeError('--duration must be at least 1s');
  const intervalMs =
    values.interval !== undefined
      ? parseDuration(values.interval, '--interval')
      : Math.min(30_000, Math.max(2000, Math.round(durationMs / 90)));
  if (intervalMs < 200) throw new RangeError('--interval must be at least 200ms');
  const drainMs =
    values.drain !== undefined
      ? parseDuration(values.drain, '--drain')
      : durationMs >= 600_000
        ? 100_000
        : 5000;
  const mode = values['iat-mode'] ?? '0';
  if (mode !== '0' && mode !== '1' && mode !== '2')
    throw new RangeError(`--iat-mode must be 0, 1 or 2, got "${mode}"`);
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return {
    durationMs,
    intervalMs,
    drainMs,
    iatMode: Number(mode) as 0 | 1 | 2,
    churnPerSec: count(values.churn, 4, '--churn', 200),
    idle: Math.round(count(values.idle, 200, '--idle', 5000)),
    idleTurnoverPerSec: 1,
    bulkBytes: 4 * 1024 * 1024,
    bulkPauseMs: 5000,
    probesPerSec: count(values.probes, 2, '--probes', 200),
    maxProbes: 300,
    slowloris: Math.round(count(values.slowloris, 50, '--slowloris', 2000)),
    slowByteMs: 5000,
    outDir: resolve(values.out ?? resolve(root, 'bench-results')),
    command: `npm run bench:soak${argv.length > 0 ? ' -- ' + argv.join(' ') : ''}`,
  };
}

/**
 * Command-line options and the time budget of each phase. The full run fits in 10 minutes on
 * 2 cores; --quick fits in 60 s (CI runs it so that the bench never rots; it reports, it does not
 * assert times).
 */
import { parseArgs } from 'node:util';
import { accessSync, constants, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OWN_CHECKOUT, obfs4proxyImpl, steppeImpl, type Impl } from './pt-pair.js';

export type Phase =
  | 'ceiling'
  | 'handshake'
  | 'bulk'
  | 'obfs3'
  | 'timing'
  | 'memory'
  | 'mixed'
  | 'syscalls'
  | 'scramblesuit'
  | 'webtunnel'
  | 'floor'
  | 'sidebyside';
export const ALL_PHASES: readonly Phase[] = [
  'ceiling',
  'handshake',
  'bulk',
  'obfs3',
  'timing',
  'memory',
  'mixed',
  'syscalls',
  'scramblesuit',
  'webtunnel',
  'floor',
  'sidebyside',
];

export interface Config {
  readonly quick: boolean;
  readonly reps: number;
  readonly outDir: string;
  readonly a: Impl;
  readonly b: Impl;
  readonly phases: ReadonlySet<Phase>;
  readonly modes: readonly (0 | 1 | 2)[];
  /** Bulk at iat-mode 0: connection counts and window. */
  readonly bulk0: { conns: readonly number[]; warmupMs: number; measureMs: number };
  /** Bulk at iat-mode 1/2 (slow by design: short, time-boxed). */
  readonly bulkIat: { conns: readonly number[]; warmupMs: number; measureMs: number };
  readonly handshake: { concurrency: number; durationMs: number; timeoutMs: number };
  /** Both pairs' handshakes in the same windows (side-by-side.ts). */
  readonly sideBySide: {
    windows: number;
    durationMs: number;
    concurrency: number;
    timeoutMs: number;
  };
  readonly memory: {
    levels: readonly number[];
    concurrency: number;
    settleMs: number;
    stepDeadlineMs: number;
  };
  readonly timing: {
    warmupMs: number;
    measureMs: number;
    legs: readonly ('up' | 'down')[];
    modes: readonly number[];
  };
  readonly ceiling: { conns: readonly number[]; warmupMs: number; measureMs: number };
  readonly chunkBytes: number;
  /** Whole-run watchdog: the harness stops the PTs and exits past this. */
  readonly budgetMs: number;
  /**
   * Unmeasured traffic through each fresh iat-mode-0 pair before its first measurement, the same
   * for both sides: a long-running PT is JIT-warm (V8) and has sized its heap; a cold one is not
   * what a bridge or a client looks like after its first seconds.
   */
  readonly pairWarmupMs: number;
  /**
   * Of that warm-up, handshakes continue until this many connections have completed (up to eight
   * seconds): V8 optimises the handshake path only after ~1000 of them, and on a slow machine a
   * fixed second of handshakes left the first measured window cold.
   */
  readonly pairWarmupConnections: number;
  readonly profileDir?: string;
  readonly command: string;
}

const USAGE = `usage: npm run bench:perf -- [options]
  --quick              one repetition, short windows (about 90 s); what CI runs
  --reps N             repetitions per metric, A/B alternating (default 3; 1 with --quick)
  --a IMPL, --b IMPL   sides to compare: steppe | obfs4proxy | a path to an obfs4proxy-like binary
                       | a path to another built steppe checkout (its bin/steppe and dist/)
                       (default: --a steppe --b obfs4proxy)
  --phases LIST        comma list of ${ALL_PHASES.join(',')} (default: all; mixed and syscalls only in full runs)
  --modes LIST         iat-modes to run, comma list of 0,1,2 (default: all; handshakes run at 0)
  --out DIR            where to write perf-*.json/.md/.svg (default: <repo>/bench-results)
  --profile DIR        run steppe under node --cpu-prof, write profiles to DIR and summarise them
  -h, --help`;

function impl(name: string, profileDir: string | undefined): Impl {
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (name === 'steppe') return steppeImpl(nodeArgs);
  if (name === 'obfs4proxy') return installed(obfs4proxyImpl());
  // Another steppe checkout (a baseline build to compare this one with, or the reverse).
  const checkout = resolve(name);
  if (existsSync(join(checkout, 'bin', 'steppe'))) {
    if (!existsSync(join(checkout, 'dist', 'steppe-obfs4.cjs')))
      throw new RangeError(`${name} is a steppe checkout without a build: run npm run build in it`);
    return steppeImpl(nodeArgs, checkout);
  }
  return installed({ ...obfs4proxyImpl(name), name: name.split('/').pop() ?? name });
}

/**
 * Refuses a reference binary that is not there before anything starts: otherwise every phase
 * would report "spawn … ENOENT" for one side and the run would take its full length for nothing.
 */
function installed(i: Impl): Impl {
  try {
    accessSync(i.command, constants.X_OK);
  } catch {
    throw new RangeError(
      `${i.command} is not installed or not executable: the bench compares steppe with obfs4proxy ` +
        `(Debian: apt-get install obfs4proxy), or give another binary or steppe checkout with --a/--b`,
    );
  }
  return i;
}

export function parseConfig(argv: readonly string[]): Config {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      reps: { type: 'string' },
      a: { type: 'string', default: 'steppe' },
      b: { type: 'string', default: 'obfs4proxy' },
      phases: { type: 'string' },
      modes: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const reps = values.reps !== undefined ? Number(values.reps) : quick ? 1 : 3;
  if (!Number.isInteger(reps) || reps < 1 || reps > 20)
    throw new RangeError('--reps must be 1..20');
  const phases = new Set<Phase>(
    values.phases !== undefined
      ? values.phases.split(',').map((p) => {
          if (!(ALL_PHASES as readonly string[]).includes(p))
            throw new RangeError(`unknown phase ${p}`);
          return p as Phase;
        })
      : ALL_PHASES.filter((p) => !(quick && (p === 'mixed' || p === 'syscalls'))),
  );
  const modes = (values.modes ?? '0,1,2').split(',').map((m) => {
    if (m !== '0' && m !== '1' && m !== '2') throw new RangeError(`unknown iat-mode ${m}`);
    return Number(m) as 0 | 1 | 2;
  });
  const profileDir = values.profile !== undefined ? resolve(values.profile) : undefined;
  const base = {
    quick,
    reps,
    outDir: resolve(values.out ?? resolve(OWN_CHECKOUT, 'bench-results')),
    a: impl(values.a ?? 'steppe', profileDir),
    b: impl(values.b ?? 'obfs4proxy', profileDir),
    phases,
    modes,
    chunkBytes: 256 * 1024,
    command: `npm run bench:perf${argv.length > 0 ? ' -- ' + argv.join(' ') : ''}`,
    ...(profileDir ? { profileDir } : {}),
  };
  if (quick) {
    return {
      ...base,
      bulk0: { conns: [1, 8], warmupMs: 200, measureMs: 800 },
      bulkIat: { conns: [1], warmupMs: 150, measureMs: 600 },
      handshake: { concurrency: 16, durationMs: 1200, timeoutMs: 10_000 },
      sideBySide: { windows: 2, durationMs: 600, concurrency: 8, timeoutMs: 10_000 },
      // 300 rather than 1000 idle connections keeps --quick short; the slope is the same.
      memory: { levels: [1, 100, 300], concurrency: 32, settleMs: 200, stepDeadlineMs: 20_000 },
      timing: { warmupMs: 150, measureMs: 700, legs: ['up'], modes: [1, 2] },
      ceiling: { conns: [1], warmupMs: 150, measureMs: 500 },
      budgetMs: 150_000,
      pairWarmupMs: 300,
      pairWarmupConnections: 0,
    };
  }
  return {
    ...base,
    bulk0: { conns: [1, 8], warmupMs: 1000, measureMs: 4000 },
    bulkIat: { conns: [1, 8], warmupMs: 500, measureMs: 2000 },
    handshake: { concurrency: 16, durationMs: 5000, timeoutMs: 15_000 },
    sideBySide: { windows: 10, durationMs: 3000, concurrency: 8, timeoutMs: 15_000 },
    memory: { levels: [1, 100, 1000], concurrency: 32, settleMs: 1000, stepDeadlineMs: 60_000 },
    timing: { warmupMs: 500, measureMs: 2500, legs: ['up', 'down'], modes: [0, 1, 2] },
    ceiling: { conns: [1, 8], warmupMs: 500, measureMs: 2000 },
    // A full run takes ~17 minutes on a quiet 2-core machine (the floor phase added ~2, the
    // side-by-side windows ~35 s); a slow stretch of a VM can stretch it by a third.
    budgetMs: 25 * 60_000,
    // Two seconds: with one, steppe's first handshake window still ran ~35 % slow (V8 and the
    // WebAssembly tier-up not done yet) while later ones did not.
    pairWarmupMs: 2000,
    pairWarmupConnections: 1500,
  };
}

/**
 * `steppe bench censor`: runs every (selected) traffic row through every (selected) censor model
 * on loopback and prints the transport × censor matrix; writes report.json and report.html.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { CensorColumn } from '../bench/censor/columns.js';
import type { TrafficKind } from '../bench/censor/traffic/types.js';

/** Exact ids, or a prefix up to a "-" ("obfs4" → obfs4-iat0/1/2, "kz-2012" → both variants). */
export function select<T extends { id: string }>(
  all: readonly T[],
  names: readonly string[] | undefined,
  what: string,
): T[] {
  if (names === undefined || names.length === 0) return [...all];
  const out: T[] = [];
  for (const n of names.flatMap((x) => x.split(','))) {
    const hits = all.filter((x) => x.id === n || x.id.startsWith(`${n}-`));
    if (hits.length === 0) {
      throw new InvalidArgumentError(
        `unknown ${what} ${JSON.stringify(n)} (known: ${all.map((x) => x.id).join(', ')})`,
      );
    }
    for (const h of hits) if (!out.includes(h)) out.push(h);
  }
  return out;
}

function num(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`must be a number in [${min}, ${max}]`);
    return n;
  };
}

interface Opts {
  censor?: string[];
  transport?: string[];
  seed: string;
  flows: number;
  timeScale: number;
  timeout: number;
  parallel: number;
  cellParallel: number;
  out: string;
  list?: boolean;
  color: boolean;
  quiet?: boolean;
}

export function registerBenchCensor(program: Command): void {
  const bench =
    program.commands.find((c) => c.name() === 'bench') ??
    program.command('bench').description('benchmarks');
  bench
    .command('censor')
    .description(
      'run steppe transports, a Tor-TLS emulator and control traffic through censor models on loopback and print the transport × censor matrix',
    )
    .option('--censor <names...>', 'censor columns to run (ids or prefixes; default: all)')
    .option(
      '--transport <names...>',
      'traffic rows to run (ids or prefixes; default: all that can run here)',
    )
    .option('--seed <seed>', 'seed of the censors’ per-flow randomness', '2012')
    .option('--flows <n>', 'flows per probabilistic cell (gfw-fet-2023)', num(10, 10_000), 100)
    .option(
      '--time-scale <x>',
      'multiplier for censor durations (180 s residual, 120 s probe budget)',
      num(0.0001, 1),
      0.01,
    )
    .option(
      '--timeout <ms>',
      'a session that stalls this long counts as failed',
      num(200, 600_000),
      2500,
    )
    .option('--parallel <n>', 'rows measured at once', num(1, 16), 3)
    .option('--cell-parallel <n>', 'cells of a row measured at once', num(1, 16), 4)
    .option('--out <dir>', 'directory for report.json and report.html', 'bench-results/censor')
    .option('--list', 'list the censors and transports, then exit')
    .option('--no-color', 'no ANSI colours')
    .option('-q, --quiet', 'no per-cell progress')
    .action(async (o: Opts) => {
      // Loaded here, not at startup: the managed transport never needs the bench.
      const { COLUMNS } = await import('../bench/censor/columns.js');
      const { ROWS } = await import('../bench/censor/traffic/index.js');
      const { runMatrix } = await import('../bench/censor/matrix.js');
      const { renderHtml } = await import('../bench/censor/report/html.js');
      const { toJson } = await import('../bench/censor/report/json.js');
      const { cellText, renderTable } = await import('../bench/censor/report/terminal.js');
      if (o.list) {
        console.log('Censors (columns):');
        for (const c of COLUMNS) console.log(`  ${c.id.padEnd(28)} ${c.source}`);
        console.log('\nTraffic (rows):');
        for (const r of ROWS) {
          console.log(
            `  ${r.id.padEnd(28)} ${r.label}${r.optIn ? ' (only when named: slow)' : ''}`,
          );
        }
        return;
      }
      const columns: CensorColumn[] = select(COLUMNS, o.censor, 'censor');
      const rows: TrafficKind[] = o.transport?.length
        ? select(ROWS, o.transport, 'transport')
        : ROWS.filter((r) => r.optIn !== true);
      const color = o.color && process.stdout.isTTY === true;
      // An interrupted run still stops the tor and obfs4proxy processes it started.
      for (const sig of ['SIGINT', 'SIGTERM'] as const) {
        process.once(sig, () => {
          process.stderr.write(`\n${sig}: stopping\n`);
          process.exit(130);
        });
      }
      process.stderr.write(
        `steppe bench censor: ${rows.length} traffic rows × ${columns.length} censors on loopback (seed ${o.seed}, time scale ${o.timeScale})\n`,
      );
      const report = await runMatrix({
        rows,
        columns,
        seed: o.seed,
        flows: o.flows,
        timeScale: o.timeScale,
        timeoutMs: o.timeout,
        parallel: o.parallel,
        columnParallel: o.cellParallel,
        onCell: (cell) => {
          if (!o.quiet) {
            process.stderr.write(
              `  ${cell.row.padEnd(24)} × ${cell.column.padEnd(26)} ${cellText(cell).padEnd(8)} ${(cell.durationMs / 1000).toFixed(1)} s\n`,
            );
          }
        },
        onSkip: (row, why) => process.stderr.write(`  ${row.id}: skipped (${why})\n`),
      });
      console.log('');
      console.log(renderTable(report, { color }));
      const dir = resolve(o.out);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'report.json'), toJson(report));
      await writeFile(join(dir, 'report.html'), renderHtml(report));
      console.log(
        `\nWrote ${join(dir, 'report.json')} and ${join(dir, 'report.html')} (${Math.round(report.durationMs / 1000)} s).`,
      );
      if (report.cells.some((c) => c.code === 'error')) process.exitCode = 1;
    });
}

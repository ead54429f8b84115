// Shared driver of the §6.4 cell tests: runs the given rows against every column, a few rows at a
// time, and turns each cell into its own test that asserts the measured code against the spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLUMNS } from '../../../src/bench/censor/columns.js';
import { expectedCode, satisfies } from '../../../src/bench/censor/expected.js';
import { lazyNationalCa, runRow, type CellResult } from '../../../src/bench/censor/matrix.js';
import { rowById } from '../../../src/bench/censor/traffic/index.js';

export const SEED = 2012;

export function cellTests(rowIds: readonly string[], parallel = 3, columnParallel = 4): void {
  const nationalCa = lazyNationalCa();
  const rows = rowIds.map((id) => rowById(id)!);
  const results = new Map<string, Promise<CellResult[]>>();
  // Rows run concurrently in small groups; each row's cells run one after the other.
  let chain: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < rows.length; i += parallel) {
    const group = rows.slice(i, i + parallel);
    const run = chain.then(() =>
      Promise.all(
        group.map((row) => {
          const p = runRow(row, COLUMNS, {
            seed: SEED,
            timeScale: 0.01,
            attempts: 8,
            flows: 200,
            timeoutMs: 2000,
            columnParallel,
            nationalCa,
          });
          results.set(row.id, p);
          return p.catch(() => undefined);
        }),
      ),
    );
    for (const row of group)
      results.set(
        row.id,
        run.then(() => results.get(row.id)!),
      );
    chain = run;
  }
  for (const row of rows) {
    for (const column of COLUMNS) {
      const expected = expectedCode(row.id, column.id);
      test(`${row.id} × ${column.id}: expected ${expected ?? '(none)'}`, async () => {
        const cells = await results.get(row.id)!;
        const cell = cells.find((c) => c.column === column.id)!;
        const ok = satisfies(cell.code, expected);
        assert.notEqual(cell.code, 'error', cell.why);
        if (ok !== undefined) {
          assert.ok(
            ok,
            `measured ${cell.label}, expected ${expected}: ${cell.why}; ${cell.attempts.failures.join('; ')}`,
          );
        }
        if (cell.rate) {
          // What the clients measured and what the censor's log says it did must agree.
          assert.equal(cell.rate.blocked, cell.rate.censorBlocked);
          if (expected === 'p26') {
            const [lo, hi] = cell.rate.interval;
            assert.equal(cell.rate.n, 200);
            assert.ok(
              cell.rate.blocked >= lo && cell.rate.blocked <= hi,
              `${cell.rate.blocked} outside [${lo}, ${hi}]`,
            );
            assert.equal(cell.rate.residual?.checked, true, cell.rate.residual?.detail);
            assert.equal(cell.rate.residual?.blocked, true, cell.rate.residual?.detail);
          }
        }
      });
    }
  }
}

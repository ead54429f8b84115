/**
 * Sessions that fail while the censor's log shows no block or interception failed on their own
 * (on a busy machine a TLS handshake can miss the 2.5 s session deadline): the cell is measured
 * again instead of being reported as the censor's block, and what was set aside is kept. Sessions
 * the censor did fail are never measured again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_MEASUREMENTS,
  measureCell,
  type CellResult,
} from '../../../src/bench/censor/matrix.js';
import type { RunningTraffic } from '../../../src/bench/censor/traffic/types.js';

/** A row's traffic without PT processes (control traffic has none): no crash to report. */
const noPeers = {} as RunningTraffic;

function cell(failed: number, censorActed: boolean): CellResult {
  return {
    row: 'https13',
    column: 'active-prober',
    code: failed === 0 ? 'P' : 'B',
    label: failed === 0 ? 'P' : 'B',
    expected: 'P',
    matches: failed === 0,
    attempts: {
      ok: 8 - failed,
      failed,
      failures: failed ? ['handshake: no progress in 2500 ms'] : [],
    },
    why: failed ? `${failed} of 8 sessions failed` : 'all 8 sessions completed',
    censorActed,
    evidence: [],
    durationMs: 1,
  };
}

test('failures with no censor action are measured again; the clean measurement is reported', async () => {
  const runs = [cell(5, false), cell(0, false)];
  let n = 0;
  const out = await measureCell(noPeers, () => Promise.resolve(runs[n++]!));
  assert.equal(n, 2);
  assert.equal(out.code, 'P');
  assert.equal(out.unexplained?.length, 1);
  assert.match(out.unexplained?.[0] ?? '', /measurement 1: 5 session\(s\) failed .* no action/);
  assert.match(out.why, /1 earlier measurement\(s\) set aside/);
});

test('failures that persist without censor action are reported after the last measurement', async () => {
  let n = 0;
  const out = await measureCell(noPeers, () => (n++, Promise.resolve(cell(8, false))));
  assert.equal(n, MAX_MEASUREMENTS);
  assert.equal(out.code, 'B');
  assert.equal(out.unexplained?.length, MAX_MEASUREMENTS - 1);
});

test("the censor's own blocks are measured once", async () => {
  let n = 0;
  const out = await measureCell(noPeers, () => (n++, Promise.resolve(cell(8, true))));
  assert.equal(n, 1);
  assert.equal(out.code, 'B');
  assert.equal(out.unexplained, undefined);
});

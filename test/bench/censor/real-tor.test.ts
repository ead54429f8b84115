// Real tor through the middlebox (loopback-only private setup, see traffic/tor-real.ts): a vanilla
// tor client and bridge, and the same over steppe as the managed obfs4 transport on both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnById } from '../../../src/bench/censor/columns.js';
import { lazyNationalCa, runRow, type CellResult } from '../../../src/bench/censor/matrix.js';
import { realTor } from '../../../src/bench/censor/traffic/tor-real.js';

const COLS = ['kz-2012-cke', 'kz-2012-tor-sh', 'tor-tls-clienthello', 'entropy-first-packet'].map(
  (id) => columnById(id)!,
);

async function measure(obfs4: boolean): Promise<Map<string, CellResult>> {
  const cells = await runRow(realTor({ obfs4 }), COLS, {
    attempts: 3,
    timeoutMs: 20_000,
    columnParallel: 2,
    nationalCa: lazyNationalCa(2048),
  });
  return new Map(cells.map((c) => [c.column, c]));
}

test('real tor and real tor over steppe obfs4 through the 2012 censors', async (t) => {
  const avail = await realTor({ obfs4: false }).available();
  if (avail !== true) {
    if (process.env.CI === 'true') assert.fail(avail);
    t.skip(avail);
    return;
  }
  const [vanilla, overObfs4] = await Promise.all([measure(false), measure(true)]);
  const code = (m: Map<string, CellResult>, col: string): string => {
    const c = m.get(col)!;
    t.diagnostic(`${c.row} × ${col}: ${c.label} — ${c.why}`);
    return c.code;
  };
  // Tor's random www.<base32>.com SNI gives the vanilla client away whatever the TLS version.
  assert.equal(code(vanilla, 'tor-tls-clienthello'), 'B');
  assert.equal(code(vanilla, 'entropy-first-packet'), 'P');
  // Current tor negotiates TLS 1.3: no ClientKeyExchange, certificates encrypted. The 2012 box
  // as modelled would not see it (censors.md §6.4 "~" for Tor TLS 1.3, measured here).
  assert.equal(code(vanilla, 'kz-2012-cke'), 'P');
  assert.equal(code(vanilla, 'kz-2012-tor-sh'), 'P');
  // Over obfs4 none of the TLS rules sees anything; the entropy rule does.
  for (const col of ['kz-2012-cke', 'kz-2012-tor-sh', 'tor-tls-clienthello'])
    assert.equal(code(overObfs4, col), 'P');
  assert.equal(code(overObfs4, 'entropy-first-packet'), 'B');
});

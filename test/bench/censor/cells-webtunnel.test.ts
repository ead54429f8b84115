// censors.md §6.4, the webtunnel rows: steppe's webtunnel with a benign SNI, and with an SNI on
// Kazakhstan's interception list (national root installed) pinned and unpinned. Every censor
// but ip-blocklist, volume-freeze and the bridge-line-aware prober lets the benign row through;
// the unpinned KZ row leaks the secret path to the interceptor (I), the pinned one is blocked
// but safe (B).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnById } from '../../../src/bench/censor/columns.js';
import { lazyNationalCa, runRow } from '../../../src/bench/censor/matrix.js';
import { rowById } from '../../../src/bench/censor/traffic/index.js';
import { cellTests, SEED } from './cells.js';

cellTests(['webtunnel', 'webtunnel-kz-sni', 'webtunnel-kz-sni-trusting'], 3, 2);

test('P7: the unauthenticated prober gets the cover site over TLS, and nothing else answers', async () => {
  const [cell] = await runRow(rowById('webtunnel')!, [columnById('active-prober')!], {
    seed: SEED,
    timeScale: 0.01,
    attempts: 2,
    timeoutMs: 3000,
    nationalCa: lazyNationalCa(),
  });
  const probe = cell!.evidence.find((e) => e.model === 'active-prober');
  const results = (probe?.evidence as { results?: Array<Record<string, unknown>> }).results ?? [];
  const cover = results.find((r) => r['id'] === 'T1-cover');
  assert.equal(cover?.['confirmed'], true, JSON.stringify(results));
  // Raw probes (random bytes, an HTTP request on the TLS port) get nothing from the tunnel; a
  // replayed ClientHello gets a fresh TLS handshake, as from any TLS server. The one answer
  // allowed is OpenSSL's own: random bytes that happen to parse as a TLS record header with an
  // oversized length (second byte 0x03) or as an SSLv2 ClientHello header get a 7-byte fatal
  // record_overflow alert, 15 03 03 00 02 02 16, from node:tls as from nginx (measured: 16 of
  // 3000 random payloads).
  for (const r of results.filter((x) => /^R\d+$|^H1$|^O[234]/.test(String(x['id'])))) {
    const alert = r['bytes'] === 7 && r['head'] === '15030300020216';
    if (!alert) assert.equal(r['bytes'], 0, JSON.stringify(r));
  }
});

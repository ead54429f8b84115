// `npm run demo` must tell its story on a bare machine: obfs4 data checked end to end, the first
// packets compared, Tor's TLS blocked by kz-2012-tls and obfs4 through, well under a minute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../../src/bench/censor/demo.js';

test('the demo runs and tells the 2012 story', async () => {
  const lines: string[] = [];
  const t0 = performance.now();
  const before = process.exitCode;
  await runDemo((l) => lines.push(l), false);
  const text = lines.join('\n');
  assert.ok(performance.now() - t0 < 60_000);
  assert.equal(process.exitCode, before);
  assert.match(text, /SHA-256 of what came back matches/);
  assert.match(text, /TLS ClientHello \(Tor\)\s+\d+ B\s+[\d.]+ bits\/byte/);
  assert.match(text, /obfs4 client handshake\s+\d+ B\s+7\.\d+ bits\/byte/);
  assert.match(
    text,
    /Tor over TLS 1\.2\s+BLOCKED: the censor matched the certificate www\.[a-z2-7]+\.net/,
  );
  assert.match(text, /obfs4, same censor\s+PASSES/);
});

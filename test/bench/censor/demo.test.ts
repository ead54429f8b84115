// `npm run demo` must tell its story on a bare machine: obfs4 data checked end to end, the first
// packets compared, Tor's TLS blocked by kz-2012-tls and obfs4 through, well under a minute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../../src/bench/censor/demo.js';
import { entropyThreshold } from '../../../src/bench/censor/models/entropy-first-packet.js';

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
  // The handshake's length is random (149 B to 8 KiB); the plug-in entropy of n random bytes
  // is about 8 - 184/n, so a short one reads below 7 bits/byte (172 B: 6.96). What the demo
  // claims is that the entropy classifier would flag it: above its threshold at that length.
  const hs = /obfs4 client handshake\s+(\d+) B\s+(\d+\.\d+) bits\/byte/.exec(text);
  assert.ok(hs, 'the obfs4 handshake row is printed');
  const [length, entropy] = [Number(hs[1]), Number(hs[2])];
  assert.ok(length >= 149, `an obfs4 client handshake is at least 149 B, got ${length}`);
  const threshold = entropyThreshold(Math.min(length, 2048));
  assert.ok(entropy > threshold, `${entropy} bits/byte over ${length} B, threshold ${threshold}`);
  assert.match(
    text,
    /Tor over TLS 1\.2\s+BLOCKED: the censor matched the certificate www\.[a-z2-7]+\.net/,
  );
  assert.match(text, /obfs4, same censor\s+PASSES/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  entropyFirstPacket,
  entropyThreshold,
} from '../../../src/bench/censor/models/entropy-first-packet.js';
import { shannonEntropy } from '../../../src/bench/censor/stats.js';
import { tlsClientHello } from '../../../src/bench/probe/payloads.js';
import { Pipeline } from '../../../src/bench/censor/pipeline.js';
import { ManualClock } from '../../../src/bench/censor/clock.js';

function decide(first: Uint8Array): { rule: string; open: boolean } {
  const pipe = new Pipeline([entropyFirstPacket()], { clock: new ManualClock() });
  const f = pipe.startFlow({
    id: 1,
    clientIp: 'a',
    clientPort: 1,
    serverIp: 'b',
    serverPort: 2,
    startedAt: 0,
  }).flow;
  f.onChunk({ dir: 'c2s', t: 0, bytes: first });
  return { rule: pipe.log.forFlow(1)[0]!.rule, open: f.isOpen('c2s') };
}

test('threshold calibration of censors.md §4.2: 6.47 at 149 bytes, 7.34 at 517', () => {
  assert.ok(Math.abs(entropyThreshold(149) - 6.465) < 0.01);
  assert.ok(Math.abs(entropyThreshold(517) - 7.344) < 0.01);
});

test('uniform first payloads of at least 149 bytes are blocked (obfs4 minimum handshake)', () => {
  let blocked = 0;
  for (let i = 0; i < 500; i++) if (!decide(randomBytes(149)).open) blocked++;
  // The random mean at 149 bytes is 6.71 with a 1st percentile of 6.57, above 6.47.
  assert.ok(blocked >= 498, `${blocked}`);
  assert.equal(decide(randomBytes(1448)).rule, 'highEntropy');
});

test('a TLS ClientHello (entropy ≈ 4-6 bits) and short payloads pass', () => {
  const hello = tlsClientHello('www.example.org');
  assert.ok(shannonEntropy(hello) < 6, `${shannonEntropy(hello)}`);
  assert.deepEqual(decide(hello), { rule: 'lowEntropy', open: true });
  assert.deepEqual(decide(randomBytes(148)), { rule: 'short', open: true });
  assert.deepEqual(decide(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n')), { rule: 'short', open: true });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { obfs2Magic, obfs2Header } from '../../../src/bench/censor/models/obfs2-magic.js';
import { obfs2Handshake } from '../../../src/bench/probe/payloads.js';
import { Pipeline } from '../../../src/bench/censor/pipeline.js';
import { ManualClock } from '../../../src/bench/censor/clock.js';
import type { FlowInfo } from '../../../src/bench/censor/types.js';

// An obfs2 initiator handshake built here straight from protocols.md §3.2, independently of the
// bench's own builder: MAC(s, x) = SHA-256(s ‖ x ‖ s); padkey = MAC("Initiator obfuscation
// padding", seed); AES-128-CTR with key padkey[0:16], IV padkey[16:32] over
// BE32(0x2BF5CA7E) ‖ BE32(PADLEN) ‖ PADLEN random bytes; sent as seed ‖ ciphertext.
function obfs2Initiator(padLen: number, magic = 0x2bf5ca7e, label = 'Initiator'): Buffer {
  const seed = randomBytes(16);
  const s = Buffer.from(`${label} obfuscation padding`);
  const padkey = createHash('sha256').update(s).update(seed).update(s).digest();
  const plain = Buffer.alloc(8 + padLen);
  plain.writeUInt32BE(magic, 0);
  plain.writeUInt32BE(padLen, 4);
  randomBytes(padLen).copy(plain, 8);
  const c = createCipheriv('aes-128-ctr', padkey.subarray(0, 16), padkey.subarray(16, 32));
  return Buffer.concat([seed, c.update(plain), c.final()]);
}

const flow = (id: number): FlowInfo => ({
  id,
  clientIp: '10.0.0.1',
  clientPort: 1000 + id,
  serverIp: '127.0.0.1',
  serverPort: 80,
  startedAt: 0,
});

function verdictFor(chunks: Uint8Array[]): { rule: string; verdict: string; open: boolean } {
  const pipe = new Pipeline([obfs2Magic()], { clock: new ManualClock() });
  const f = pipe.startFlow(flow(1)).flow;
  for (const b of chunks) f.onChunk({ dir: 'c2s', t: 0, bytes: b });
  const r = pipe.log.forFlow(1)[0];
  return { rule: r?.rule ?? 'none', verdict: r?.verdict ?? 'none', open: f.isOpen('c2s') };
}

test('obfs2-magic decrypts a constructed initiator handshake and finds magic and padlen', () => {
  for (const padLen of [0, 1, 125, 8192]) {
    const hs = obfs2Initiator(padLen);
    assert.deepEqual(obfs2Header(hs.subarray(0, 24)), { magic: 0x2bf5ca7e, padLen });
    assert.deepEqual(verdictFor([hs]), { rule: 'magic', verdict: 'block', open: false });
  }
});

test('the handshake is found even when the first 24 bytes arrive in pieces', () => {
  const hs = obfs2Initiator(40);
  assert.deepEqual(verdictFor([hs.subarray(0, 5), hs.subarray(5, 20), hs.subarray(20)]), {
    rule: 'magic',
    verdict: 'block',
    open: false,
  });
});

test('no match: padlen above 8192, wrong magic, responder key, random bytes', () => {
  assert.equal(verdictFor([obfs2Initiator(8193)]).rule, 'noMagic');
  assert.equal(verdictFor([obfs2Initiator(10, 0x2bf5ca7f)]).rule, 'noMagic');
  assert.equal(verdictFor([obfs2Initiator(10, 0x2bf5ca7e, 'Responder')]).rule, 'noMagic');
  let hits = 0;
  for (let i = 0; i < 2000; i++) if (verdictFor([randomBytes(200)]).rule === 'magic') hits++;
  assert.equal(hits, 0);
});

test("the probe set's O2 payload is an obfs2 handshake by the same rule", () => {
  assert.equal(verdictFor([obfs2Handshake('Initiator', 77)]).rule, 'magic');
});

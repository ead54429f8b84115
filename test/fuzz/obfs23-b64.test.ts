/**
 * Fuzzing of the obfs3, obfs2 and b64 parsers with fast-check: random splits, truncations and
 * garbage. A parser only ever answers "more", a result or a PtError; a real handshake or text
 * is accepted in any split, exactly when its last byte arrives; obfs3's magic search gives up
 * at obfs4proxy's bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concatBytes } from '../../src/crypto/bytes.js';
import { generateUniformDhKeypair } from '../../src/crypto/uniformdh.js';
import { B64Codec } from '../../src/transports/b64/codec.js';
import { Obfs2Handshake } from '../../src/transports/obfs2/handshake.js';
import { sharedSecret } from '../../src/transports/obfs2/keys.js';
import { Obfs3Codec } from '../../src/transports/obfs3/codec.js';
import { MAGIC_SEARCH_LIMIT } from '../../src/transports/obfs3/constants.js';
import { Obfs3Handshake } from '../../src/transports/obfs3/handshake.js';
import { cutsArb, onlyPtErrors, RUNS, split } from './support.js';

const serverKey = generateUniformDhKeypair();
const clientKey = generateUniformDhKeypair();

test('obfs3 key exchange: any split of a hello gives the same keys, at byte 192', () => {
  fc.assert(
    fc.property(cutsArb, fc.integer({ min: 0, max: 4097 }), (cuts, pad) => {
      const hello = new Obfs3Handshake({
        initiator: true,
        keypair: clientKey,
        padLength: pad,
      }).hello();
      const server = new Obfs3Handshake({ initiator: false, keypair: serverKey });
      let got = null;
      let seen = 0;
      for (const piece of split(hello, cuts)) {
        seen += piece.length;
        got = server.receive(piece);
        if (got !== null) break;
      }
      assert.ok(got);
      assert.ok(seen >= 192);
      assert.equal(got.leftover.length, seen - 192);
    }),
    { numRuns: RUNS },
  );
});

test('obfs3 data phase: garbage of any size and split yields nothing, then one PtError at the bound', () => {
  const keys = new Obfs3Handshake({ initiator: false, keypair: serverKey }).receive(
    clientKey.publicKey,
  )!.keys;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 20_000 }), cutsArb, (garbage, cuts) => {
      const rx = new Obfs3Codec(keys, false);
      let fed = 0;
      const failed = onlyPtErrors(() => {
        for (const piece of split(garbage, cuts)) {
          assert.equal(rx.decode(piece).length, 0);
          fed += piece.length;
        }
      });
      // Random bytes hold the 32-byte magic with negligible probability.
      assert.equal(failed, garbage.length >= MAGIC_SEARCH_LIMIT);
      if (!failed) assert.equal(fed, garbage.length);
    }),
    { numRuns: RUNS },
  );
});

test('obfs3 data phase: a real stream decodes the same in any split', () => {
  const keys = new Obfs3Handshake({ initiator: false, keypair: serverKey }).receive(
    clientKey.publicKey,
  )!.keys;
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 3000 }),
      fc.uint8Array({ maxLength: 300 }),
      cutsArb,
      (a, b, cuts) => {
        const tx = new Obfs3Codec(keys, true);
        const rx = new Obfs3Codec(keys, false);
        const wire = concatBytes(tx.encode(a), tx.encode(b));
        const out = split(wire, cuts).map((p) => rx.decode(p));
        assert.deepEqual(Buffer.concat(out), Buffer.concat([a, b]));
      },
    ),
    { numRuns: RUNS },
  );
});

test('obfs2 handshake parser: garbage is refused at byte 24 or waits; real hellos pass in any split', () => {
  const secret = sharedSecret('fuzz', 2);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      cutsArb,
      fc.boolean(),
      (garbage, cuts, withSecret) => {
        const s = new Obfs2Handshake({ initiator: false, secret: withSecret ? secret : undefined });
        let fed = 0;
        const failed = onlyPtErrors(() => {
          for (const piece of split(garbage, cuts)) {
            assert.equal(s.receive(piece), null);
            fed += piece.length;
          }
        });
        if (!failed) assert.ok(garbage.length < 24 || fed === garbage.length);
      },
    ),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(
      cutsArb,
      fc.integer({ min: 0, max: 8192 }),
      fc.uint8Array({ maxLength: 50 }),
      (cuts, pad, tail) => {
        const hello = new Obfs2Handshake({ initiator: true, padLength: pad, secret }).hello();
        const s = new Obfs2Handshake({ initiator: false, secret });
        const wire = concatBytes(hello, tail);
        let got = null;
        let seen = 0;
        for (const piece of split(wire, cuts)) {
          seen += piece.length;
          got = s.receive(piece);
          if (got !== null) break;
        }
        assert.ok(got);
        assert.ok(seen >= hello.length);
        assert.equal(got.leftover.length, seen - hello.length);
      },
    ),
    { numRuns: RUNS },
  );
});

test('obfs2 handshake parser: a flipped seed or magic byte is refused (obfs2 has no MAC: a flipped PADLEN only changes what is skipped)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const hello = new Obfs2Handshake({ initiator: true, padLength: 0 }).hello();
      hello[at]! ^= flip;
      const s = new Obfs2Handshake({ initiator: false });
      assert.ok(onlyPtErrors(() => assert.equal(s.receive(hello), null)));
    }),
    { numRuns: RUNS },
  );
});

test('b64 decoder: any text in any split decodes; garbage is one PtError or waits', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }),
      cutsArb,
      (parts, cuts) => {
        const tx = new B64Codec();
        const rx = new B64Codec();
        const wire = Buffer.concat(parts.map((p) => tx.encode(p)));
        const out = split(wire, cuts).map((p) => rx.decode(p));
        assert.deepEqual(Buffer.concat(out), Buffer.concat(parts));
      },
    ),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 500 }), cutsArb, (garbage, cuts) => {
      const rx = new B64Codec();
      onlyPtErrors(() => {
        for (const piece of split(garbage, cuts)) rx.decode(piece);
      });
    }),
    { numRuns: RUNS },
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import {
  MODP1536_PRIME,
  UNIFORMDH_LENGTH,
  generateUniformDhKeypair,
  isValidUniformDhPublic,
  uniformDhKeypairFromPrivate,
  uniformDhSharedSecret,
} from '../../src/crypto/uniformdh.js';
import { loadVectors } from './vectors.js';

interface UniformDhVectors {
  xPriv: string;
  xPub: string;
  yPriv: string;
  yPub: string;
  sharedSecret: string;
}
const v = loadVectors<UniformDhVectors>('uniformdh.json');

const P = BigInt('0x' + bytesToHex(MODP1536_PRIME));
const toBig = (b: Uint8Array): bigint => BigInt('0x' + (bytesToHex(b) || '0'));
const toBytes = (n: bigint): Uint8Array =>
  hexToBytes(n.toString(16).padStart(UNIFORMDH_LENGTH * 2, '0'));

test('UniformDH KAT: an odd private key sends p − g^x (obfs4proxy TestGenerateKeyOdd)', () => {
  const x = uniformDhKeypairFromPrivate(hexToBytes(v.xPriv));
  assert.equal(bytesToHex(x.publicKey), v.xPub);
  // The stored exponent is the even one.
  assert.equal(x.privateKey[UNIFORMDH_LENGTH - 1]! & 1, 0);
});

test('UniformDH KAT: an even private key sends g^x (obfs4proxy TestGenerateKeyEven)', () => {
  const y = uniformDhKeypairFromPrivate(hexToBytes(v.yPriv));
  assert.equal(bytesToHex(y.publicKey), v.yPub);
  assert.equal(bytesToHex(y.privateKey), v.yPriv);
});

test('UniformDH KAT: both peers derive the known shared secret (obfs4proxy TestHandshake)', () => {
  const x = uniformDhKeypairFromPrivate(hexToBytes(v.xPriv));
  const y = uniformDhKeypairFromPrivate(hexToBytes(v.yPriv));
  assert.equal(bytesToHex(uniformDhSharedSecret(x.privateKey, y.publicKey)!), v.sharedSecret);
  assert.equal(bytesToHex(uniformDhSharedSecret(y.privateKey, x.publicKey)!), v.sharedSecret);
  // The raw (odd) private bytes give the same secret: the low bit is cleared either way.
  assert.equal(
    bytesToHex(uniformDhSharedSecret(hexToBytes(v.xPriv), y.publicKey)!),
    v.sharedSecret,
  );
});

test('UniformDH: random pairs agree, and match a BigInt square-and-multiply reference', () => {
  const modpow = (b: bigint, e: bigint): bigint => {
    let r = 1n;
    b %= P;
    for (; e > 0n; e >>= 1n) {
      if (e & 1n) r = (r * b) % P;
      b = (b * b) % P;
    }
    return r;
  };
  for (let i = 0; i < 4; i++) {
    const a = generateUniformDhKeypair();
    const b = generateUniformDhKeypair();
    const ab = uniformDhSharedSecret(a.privateKey, b.publicKey)!;
    assert.deepEqual(ab, uniformDhSharedSecret(b.privateKey, a.publicKey));
    assert.equal(ab.length, UNIFORMDH_LENGTH);
    const ga = modpow(2n, toBig(a.privateKey));
    assert.ok(toBig(a.publicKey) === ga || toBig(a.publicKey) === P - ga);
    assert.equal(toBig(ab), modpow(toBig(b.publicKey), toBig(a.privateKey)));
  }
});

test('UniformDH: small public values are left-padded to 192 bytes', () => {
  // x = 2 → g^x = 4: the public key and a secret both need 191 leading zero bytes.
  const raw = new Uint8Array(UNIFORMDH_LENGTH);
  raw[UNIFORMDH_LENGTH - 1] = 2;
  const k = uniformDhKeypairFromPrivate(raw);
  assert.equal(toBig(k.publicKey), 4n);
  assert.equal(k.publicKey.length, UNIFORMDH_LENGTH);
  const secret = uniformDhSharedSecret(raw, toBytes(2n))!;
  assert.equal(toBig(secret), 4n);
  assert.equal(secret.length, UNIFORMDH_LENGTH);
});

test('UniformDH: peer values outside [2, p − 2] are refused', () => {
  const priv = generateUniformDhKeypair().privateKey;
  for (const bad of [0n, 1n, P - 1n, P, P + 1n, (1n << 1536n) - 1n]) {
    assert.equal(isValidUniformDhPublic(toBytes(bad)), false, `value ${bad}`);
    assert.equal(uniformDhSharedSecret(priv, toBytes(bad)), null);
  }
  for (const good of [2n, 3n, 255n, 256n, P - 2n, P - 3n, P >> 1n]) {
    assert.equal(isValidUniformDhPublic(toBytes(good)), true, `value ${good}`);
    assert.notEqual(uniformDhSharedSecret(priv, toBytes(good)), null);
  }
  assert.throws(() => uniformDhSharedSecret(priv, new Uint8Array(191)), RangeError);
  assert.throws(() => uniformDhKeypairFromPrivate(new Uint8Array(193)), RangeError);
});

test('UniformDH: the keypair comes from the injected random source', () => {
  let calls = 0;
  const rng = {
    fill(out: Uint8Array): void {
      calls++;
      out.set(hexToBytes(v.yPriv));
    },
  };
  assert.equal(bytesToHex(generateUniformDhKeypair(rng).publicKey), v.yPub);
  assert.equal(calls, 1);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '../../src/crypto/bytes.js';
import {
  ntorClientHandshake,
  ntorKdf,
  ntorServerHandshake,
  NTOR_KDF_LENGTH,
} from '../../src/crypto/ntor.js';
import { newIdentityKeypair, x25519Base } from '../../src/crypto/x25519.js';
import { loadVectors } from './vectors.js';

interface NtorVectors {
  obfs4: {
    b: string;
    x: string;
    y: string;
    nodeId: string;
    keySeed: string;
    auth: string;
  };
  kdf: { cases: { ikmAscii: string; okm: string }[] };
}
const V = loadVectors<NtorVectors>('ntor.json');

function keypair(hex: string): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = hexToBytes(hex);
  return { privateKey, publicKey: x25519Base(privateKey) };
}

test('obfs4 ntor KEY_SEED and AUTH match ptrs test_obfs4_testvec_compat', () => {
  const v = V.obfs4;
  const id = keypair(v.b);
  const x = keypair(v.x);
  const y = keypair(v.y);
  const nodeId = hexToBytes(v.nodeId);
  const server = ntorServerHandshake(y, x.publicKey, id, nodeId);
  const client = ntorClientHandshake(x, y.publicKey, id.publicKey, nodeId);
  assert.ok(server && client);
  assert.equal(bytesToHex(server.keySeed), v.keySeed);
  assert.equal(bytesToHex(server.auth), v.auth);
  assert.equal(bytesToHex(client.keySeed), v.keySeed);
  assert.equal(bytesToHex(client.auth), v.auth);
});

test("ntor1 KDF matches Tor's test_crypto.c vectors (100 bytes)", () => {
  for (const c of V.kdf.cases) {
    const okm = ntorKdf(new TextEncoder().encode(c.ikmAscii), 100);
    assert.equal(bytesToHex(okm), c.okm);
  }
});

test('ntorKdf defaults to 144 bytes, a prefix-extension of shorter outputs', () => {
  const seed = hexToBytes(V.obfs4.keySeed);
  const okm = ntorKdf(seed);
  assert.equal(okm.length, NTOR_KDF_LENGTH);
  assert.deepEqual(okm.subarray(0, 100), ntorKdf(seed, 100));
  assert.throws(() => ntorKdf(seed, 0), RangeError);
  assert.throws(() => ntorKdf(seed, 255 * 32 + 1), RangeError);
});

test('random handshakes agree; a wrong identity key or node ID changes AUTH', () => {
  const id = newIdentityKeypair();
  const nodeId = new Uint8Array(20).fill(7);
  for (let i = 0; i < 20; i++) {
    const x = newIdentityKeypair();
    const y = newIdentityKeypair();
    const s = ntorServerHandshake(y, x.publicKey, id, nodeId)!;
    const c = ntorClientHandshake(x, y.publicKey, id.publicKey, nodeId)!;
    assert.deepEqual(c, s);
    const wrongNode = ntorClientHandshake(x, y.publicKey, id.publicKey, new Uint8Array(20))!;
    assert.notDeepEqual(wrongNode.auth, s.auth);
    const other = newIdentityKeypair();
    const wrongId = ntorClientHandshake(x, y.publicKey, other.publicKey, nodeId)!;
    assert.notDeepEqual(wrongId.auth, s.auth);
  }
});

test('an all-zero DH output (low-order peer key) aborts with null', () => {
  const id = newIdentityKeypair();
  const x = newIdentityKeypair();
  const nodeId = new Uint8Array(20);
  assert.equal(ntorClientHandshake(x, new Uint8Array(32), id.publicKey, nodeId), null);
  assert.equal(ntorServerHandshake(x, new Uint8Array(32), id, nodeId), null);
});

test('input lengths are checked', () => {
  const id = newIdentityKeypair();
  const x = newIdentityKeypair();
  assert.throws(
    () => ntorClientHandshake(x, x.publicKey, id.publicKey, new Uint8Array(19)),
    RangeError,
  );
  assert.throws(
    () => ntorServerHandshake(x, new Uint8Array(31), id, new Uint8Array(20)),
    RangeError,
  );
});

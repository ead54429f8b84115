// obfs2's MAC and key derivation (protocols.md §3.2):
//   MAC(s, x) = SHA-256(s ‖ x ‖ s), or with the Python obfsproxy's shared secret
//   MAC(s, x) = SHA-256^n(s ‖ x ‖ SHA-256(secret) ‖ s), n = 100000;
//   padding key of a side = MAC("<Initiator|Responder> obfuscation padding", that side's seed),
//   data keys = MAC("<Initiator|Responder> obfuscated data", INIT_SEED ‖ RESP_SEED);
//   each MAC keys AES-128-CTR with [0:16] and the initial counter block [16:32].
// The spec text derives the responder's padding key from INIT_SEED; both implementations use
// the sender's own seed, and so does this.
import sodium from 'sodium-native';
import { ascii, concatBytes } from '../../crypto/bytes.js';
import { sha256 } from '../../crypto/hmac.js';
import { INITIATOR_KDF, INITIATOR_PAD, RESPONDER_KDF, RESPONDER_PAD } from './constants.js';

export interface CtrKey {
  readonly key: Uint8Array;
  readonly counter: Uint8Array;
}

/** The shared-secret extension's parameters: SHA-256 of the secret and the iteration count. */
export interface SharedSecret {
  readonly hash: Uint8Array;
  readonly iterations: number;
}

export function sharedSecret(secret: string, iterations: number): SharedSecret {
  return { hash: sha256(ascii(secret)), iterations };
}

/** SHA-256 applied `n` times (n ≥ 1), with libsodium: ~0.7 µs per round against ~4 µs through node:crypto. */
function iteratedSha256(data: Uint8Array, n: number): Uint8Array {
  let a = new Uint8Array(32);
  let b = new Uint8Array(32);
  sodium.crypto_hash_sha256(a, data);
  for (let i = 1; i < n; i++) {
    sodium.crypto_hash_sha256(b, a);
    [a, b] = [b, a];
  }
  return a;
}

export function obfs2Mac(s: Uint8Array, x: Uint8Array, secret?: SharedSecret): Uint8Array {
  if (secret === undefined) return sha256(s, x, s);
  return iteratedSha256(concatBytes(s, x, secret.hash, s), secret.iterations);
}

function split(m: Uint8Array): CtrKey {
  return { key: m.slice(0, 16), counter: m.slice(16, 32) };
}

/** The key a side encrypts its handshake header and padding with. */
export function paddingKey(initiator: boolean, seed: Uint8Array, secret?: SharedSecret): CtrKey {
  return split(obfs2Mac(ascii(initiator ? INITIATOR_PAD : RESPONDER_PAD), seed, secret));
}

export interface Obfs2DataKeys {
  readonly initiator: CtrKey;
  readonly responder: CtrKey;
}

export function dataKeys(
  initSeed: Uint8Array,
  respSeed: Uint8Array,
  secret?: SharedSecret,
): Obfs2DataKeys {
  const seeds = concatBytes(initSeed, respSeed);
  return {
    initiator: split(obfs2Mac(ascii(INITIATOR_KDF), seeds, secret)),
    responder: split(obfs2Mac(ascii(RESPONDER_KDF), seeds, secret)),
  };
}

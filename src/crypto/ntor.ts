// The ntor handshake as obfs4 computes it (common/ntor/ntor.go; protocols.md §2.7). It differs
// from tor-spec's ntor on purpose and must be matched byte for byte:
//   - t_verify is ":key_verify" (tor uses ":verify");
//   - one shared suffix B ‖ B ‖ X ‖ Y ‖ PROTOID ‖ ID feeds both secret_input and auth_input
//     (B twice, node ID last);
//   - the session keys come from a second HKDF-Extract over KEY_SEED (ntorKdf).
// X and Y are the 32-byte Montgomery u-coordinates; for obfs4 session keys these are the
// "dirty" public keys (the sender's own value, equal to the receiver's decode of the
// representative).
import { ascii } from './bytes.js';
import { HKDF_SHA256_MAX_LENGTH, HmacSha256Key, hkdfSha256Js } from './sha256.js';
import { x25519 } from './x25519.js';

/** "ntor-curve25519-sha256-1" */
export const NTOR_PROTOID = ascii('ntor-curve25519-sha256-1');
const T_MAC = ascii('ntor-curve25519-sha256-1:mac');
/** HKDF salt for ntorKdf and the HMAC key for KEY_SEED. */
export const NTOR_T_KEY = ascii('ntor-curve25519-sha256-1:key_extract');
const T_VERIFY = ascii('ntor-curve25519-sha256-1:key_verify');
/** HKDF info for ntorKdf. */
export const NTOR_M_EXPAND = ascii('ntor-curve25519-sha256-1:key_expand');
const SERVER = ascii('Server');

// The three HMAC keys are constants: their padded blocks are compressed once, at import.
const T_KEY_HMAC = new HmacSha256Key(NTOR_T_KEY);
const T_VERIFY_HMAC = new HmacSha256Key(T_VERIFY);
const T_MAC_HMAC = new HmacSha256Key(T_MAC);

/** obfs4 node ID length. */
export const NODE_ID_LENGTH = 20;
/** KEY_SEED and AUTH lengths. */
export const NTOR_KEY_SEED_LENGTH = 32;
export const NTOR_AUTH_LENGTH = 32;
/** Session key material obfs4 derives: two 72-byte halves (client→server, server→client). */
export const NTOR_KDF_LENGTH = 144;

/** Anything with a 32-byte X25519 private scalar and the public u-coordinate that goes with it. */
export interface NtorKeypair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Handshake output: KEY_SEED (input to ntorKdf) and AUTH (sent by the server, checked by the client). */
export interface NtorResult {
  keySeed: Uint8Array;
  auth: Uint8Array;
}

function checkLen(name: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (b.length !== n) throw new RangeError(`${name} must be ${n} bytes, got ${b.length}`);
}

function ntorCommon(
  exp1: Uint8Array,
  exp2: Uint8Array,
  B: Uint8Array,
  X: Uint8Array,
  Y: Uint8Array,
  nodeId: Uint8Array,
): NtorResult {
  const secretInput = [exp1, exp2, B, B, X, Y, NTOR_PROTOID, nodeId];
  const keySeed = T_KEY_HMAC.mac(secretInput);
  const verify = T_VERIFY_HMAC.mac(secretInput);
  const auth = T_MAC_HMAC.mac([verify, B, B, X, Y, NTOR_PROTOID, nodeId, SERVER]);
  return { keySeed, auth };
}

/**
 * Client side: secret_input = X25519(x, Y) ‖ X25519(x, B).
 * @param x the client's session keypair (publicKey = its dirty u, X)
 * @param Y the server's public u (decoded from its representative)
 * @param B the bridge identity public key
 * @param nodeId the bridge node ID (20 bytes)
 * @returns KEY_SEED and the AUTH the server must have sent, or null if a DH output is all zero
 *   (the handshake must then be aborted).
 */
export function ntorClientHandshake(
  x: NtorKeypair,
  Y: Uint8Array,
  B: Uint8Array,
  nodeId: Uint8Array,
): NtorResult | null {
  checkLen('x.publicKey', x.publicKey, 32);
  checkLen('Y', Y, 32);
  checkLen('B', B, 32);
  checkLen('nodeId', nodeId, NODE_ID_LENGTH);
  const exp1 = x25519(x.privateKey, Y);
  const exp2 = x25519(x.privateKey, B);
  if (exp1 === null || exp2 === null) return null;
  return ntorCommon(exp1, exp2, B, x.publicKey, Y, nodeId);
}

/**
 * Server side: secret_input = X25519(y, X) ‖ X25519(b, X).
 * @param y the server's session keypair (publicKey = its dirty u, Y)
 * @param X the client's public u (decoded from its representative)
 * @param identity the bridge identity keypair (b, B)
 * @param nodeId the bridge node ID (20 bytes)
 * @returns KEY_SEED and AUTH, or null if a DH output is all zero (abort the handshake).
 */
export function ntorServerHandshake(
  y: NtorKeypair,
  X: Uint8Array,
  identity: NtorKeypair,
  nodeId: Uint8Array,
): NtorResult | null {
  checkLen('y.publicKey', y.publicKey, 32);
  checkLen('X', X, 32);
  checkLen('identity.publicKey', identity.publicKey, 32);
  checkLen('nodeId', nodeId, NODE_ID_LENGTH);
  const exp1 = x25519(y.privateKey, X);
  const exp2 = x25519(identity.privateKey, X);
  if (exp1 === null || exp2 === null) return null;
  return ntorCommon(exp1, exp2, identity.publicKey, X, y.publicKey, nodeId);
}

/**
 * obfs4 `ntor.Kdf`: HKDF-SHA256(IKM = KEY_SEED, salt = t_key, info = m_expand). obfs4 uses the
 * first 144 bytes: okm[0:72] keys client→server, okm[72:144] server→client.
 * @param length output length (default 144; at most 255·32 per RFC 5869)
 */
export function ntorKdf(keySeed: Uint8Array, length: number = NTOR_KDF_LENGTH): Uint8Array {
  if (!(keySeed instanceof Uint8Array)) throw new TypeError('keySeed must be a Uint8Array');
  if (!Number.isInteger(length) || length < 1 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new RangeError(`invalid HKDF output length ${length}`);
  }
  return hkdfSha256Js(keySeed, T_KEY_HMAC, NTOR_M_EXPAND, length);
}

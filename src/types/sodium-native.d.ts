// Declarations for the parts of sodium-native (libsodium bindings) that steppe uses. The package
// ships no types of its own for the 5.x line.
declare module 'sodium-native' {
  type Bytes = Uint8Array;
  const sodium: {
    crypto_secretbox_easy(c: Bytes, m: Bytes, n: Bytes, k: Bytes): void;
    crypto_secretbox_open_easy(m: Bytes, c: Bytes, n: Bytes, k: Bytes): boolean;
    crypto_secretbox_KEYBYTES: number;
    crypto_secretbox_NONCEBYTES: number;
    crypto_secretbox_MACBYTES: number;
    /** X25519; throws when the result is all zero (a low-order peer key). */
    crypto_scalarmult(q: Bytes, n: Bytes, p: Bytes): void;
    crypto_scalarmult_base(q: Bytes, n: Bytes): void;
    /** Ed25519 base-point multiplication by an unclamped scalar; output is a compressed point. */
    crypto_scalarmult_ed25519_base_noclamp(q: Bytes, n: Bytes): void;
    crypto_core_ed25519_add(r: Bytes, p: Bytes, q: Bytes): void;
    crypto_shorthash(out: Bytes, input: Bytes, k: Bytes): void;
    crypto_hash_sha256(out: Bytes, input: Bytes): void;
    crypto_hash_sha512(out: Bytes, input: Bytes): void;
  };
  export default sodium;
}

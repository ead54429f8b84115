// obfs2 constants (protocols.md §3.2; obfs4proxy transports/obfs2/obfs2.go, py obfs2.py).

export const MAGIC_VALUE = 0x2bf5ca7e;
export const SEED_LENGTH = 16;
/** PADLEN is uniform in [0, MAX_PADDING]; a receiver refuses a larger one. */
export const MAX_PADDING = 8192;
/** BE32(MAGIC) ‖ BE32(PADLEN), encrypted under the sender's padding key. */
export const HEADER_LENGTH = 8;
/** The whole handshake, padding included, must be in within 30 s (Go on both sides). */
export const HANDSHAKE_TIMEOUT_MS = 30_000;
/** The Python obfsproxy's shared-secret extension: MAC = SHA256^n(s ‖ x ‖ SHA256(secret) ‖ s). */
export const SHARED_SECRET_HASH_ITERATIONS = 100_000;

export const INITIATOR_PAD = 'Initiator obfuscation padding';
export const RESPONDER_PAD = 'Responder obfuscation padding';
export const INITIATOR_KDF = 'Initiator obfuscated data';
export const RESPONDER_KDF = 'Responder obfuscated data';

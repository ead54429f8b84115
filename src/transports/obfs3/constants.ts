// obfs3 constants, as obfs4proxy 0.0.14 transports/obfs3/obfs3.go has them (protocols.md §3.1).

/** Go's maxPadding: the largest pre-magic padding a receiver tolerates before the magic. */
export const MAX_PADDING = 8194;
/** Each side pads its public key, and later its magic, with U[0, MAX_PADDING/2] random bytes. */
export const MAX_SEND_PADDING = MAX_PADDING / 2;
/** HMAC-SHA256 output, the length of a magic value. */
export const MAGIC_LENGTH = 32;
/** The receiver gives up when this much arrived without the peer's magic (Go's hsBuf size). */
export const MAGIC_SEARCH_LIMIT = MAX_PADDING + MAGIC_LENGTH;
/** Both sides allow 30 s for the key exchange (Go client/serverHandshakeTimeout). */
export const HANDSHAKE_TIMEOUT_MS = 30_000;

export const INITIATOR_KDF = 'Initiator obfuscated data';
export const RESPONDER_KDF = 'Responder obfuscated data';
export const INITIATOR_MAGIC = 'Initiator magic';
export const RESPONDER_MAGIC = 'Responder magic';

/**
 * ScrambleSuit wire constants, named after obfs4proxy 0.0.14's client (transports/scramblesuit)
 * and the Python obfsproxy's const.py, which agree on all of them (protocols.md §3.3).
 */

/** The 20-byte shared secret k_B, given as 32 Base32 characters in `password=`. */
export const SHARED_SECRET_LENGTH = 20;
export const PASSWORD_ARG = 'password';

/** HMAC-SHA256-128: the first 16 bytes of HMAC-SHA256. Marks and MACs both have this length. */
export const MAC_LENGTH = 16;
/** UniformDH public keys (and the shared secret) are 192 bytes. */
export const PUBLIC_KEY_LENGTH = 192;
/** Neither handshake message may be longer: 1500 bytes of key/ticket + padding, mark, MAC. */
export const MAX_HANDSHAKE_LENGTH = 1532;
/** UniformDH handshake padding: [0, 1500 − 192]. */
export const DH_MAX_PAD_LENGTH = 1308;
/** Ticket handshake padding: [0, 1500 − 112]. */
export const TICKET_MAX_PAD_LENGTH = 1388;
/** Hours since the epoch, as a decimal string, go into the handshake MAC. */
export const EPOCH_HOUR_MS = 3600 * 1000;

/** The session keys come from HKDF-SHA256-Expand(master key, "", 144). */
export const MASTER_KEY_LENGTH = 32;
export const KDF_LENGTH = 144;

// Messages: MAC(16) ‖ Enc(total length 2 ‖ payload length 2 ‖ flags 1 ‖ payload ‖ padding)
/** The link "MTU" ScrambleSuit shapes its writes to (not the real link MTU). */
export const MAX_SEGMENT_LENGTH = 1448;
/** MAC + the 5-byte encrypted header. */
export const MESSAGE_OVERHEAD = MAC_LENGTH + 5;
/** Largest payload + padding of one message: 1448 − 21. */
export const MAX_MESSAGE_BODY = MAX_SEGMENT_LENGTH - MESSAGE_OVERHEAD; // 1427
export const FLAG_PAYLOAD = 1;
export const FLAG_NEW_TICKET = 2;
export const FLAG_PRNG_SEED = 4;
export const PRNG_SEED_LENGTH = 32;
/** The burst length distribution: probdist over [21, 1448], biased weights (Go's client). */
export const MIN_LEN_DIST = MESSAGE_OVERHEAD;
export const MAX_LEN_DIST = MAX_SEGMENT_LENGTH;
/** obfs4proxy's padBurst splits padding longer than one segment as 700 + the rest. */
export const PAD_SPLIT_LENGTH = 700;

// Session tickets (the Python ticket.py layout)
/** IV 16 ‖ AES-128-CBC(state 64) ‖ HMAC-SHA256(IV ‖ encrypted state) 32. */
export const TICKET_LENGTH = 112;
export const TICKET_IV_LENGTH = 16;
export const TICKET_STATE_LENGTH = 64;
/** Ticket protection keys, server-side only: AES-128 and HMAC-SHA256. */
export const TICKET_AES_KEY_LENGTH = 16;
export const TICKET_HMAC_KEY_LENGTH = 32;
/** In every ticket's plaintext; a ticket that authenticates but lacks it is refused. */
export const TICKET_IDENTIFIER = 'ScrambleSuitTicket';
/** Tickets live 7 days, and the server rotates its ticket keys at the same period. */
export const TICKET_LIFETIME_S = 7 * 24 * 3600;
/** NEW_TICKET payload: master key ‖ ticket. */
export const NEW_TICKET_PAYLOAD_LENGTH = MASTER_KEY_LENGTH + TICKET_LENGTH;

/** obfs4proxy's clientHandshakeTimeout. */
export const CLIENT_HANDSHAKE_TIMEOUT_MS = 60_000;
/**
 * The server's. The Python server had none (Twisted waited for the client); steppe uses obfs4's
 * 30 s, and closes a failed handshake the way obfs4 does (silence, drain, close).
 */
export const SERVER_HANDSHAKE_TIMEOUT_MS = 30_000;

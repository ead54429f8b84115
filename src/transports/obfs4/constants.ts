/**
 * obfs4 wire constants, named after obfs4proxy 0.0.14's (transports/obfs4, framing, packet).
 * Where the obfs4 spec text disagrees with the code, these follow the code (protocols.md §2.15).
 */

// Framing (framing/framing.go)
/** 1500 − (40 + 12): an Ethernet MTU less IPv6 and TCP-with-timestamps headers. */
export const MAX_SEGMENT_LENGTH = 1448;
/** 2-byte obfuscated length + 16-byte Poly1305 tag. */
export const FRAME_OVERHEAD = 18;
export const MAX_FRAME_PAYLOAD_LENGTH = MAX_SEGMENT_LENGTH - FRAME_OVERHEAD; // 1430
/** Largest secretbox (tag + ciphertext) a frame may carry. */
export const MAX_FRAME_LENGTH = MAX_SEGMENT_LENGTH - 2; // 1446
/** Smallest secretbox: an empty plaintext still has its 16-byte tag. */
export const MIN_FRAME_LENGTH = FRAME_OVERHEAD - 2; // 16
/** Per direction: secretbox key 32 ‖ nonce prefix 16 ‖ SipHash key 16 ‖ SipHash IV 8. */
export const KEY_MATERIAL_LENGTH = 72;

// Packets (packet.go)
/** type 1 ‖ payload length 2. */
export const PACKET_OVERHEAD = 3;
export const MAX_PACKET_PAYLOAD_LENGTH = MAX_FRAME_PAYLOAD_LENGTH - PACKET_OVERHEAD; // 1427
/** A whole empty packet on the wire: frame overhead + packet overhead. */
export const PACKET_HEADER_ON_WIRE = FRAME_OVERHEAD + PACKET_OVERHEAD; // 21
export const PACKET_TYPE_PAYLOAD = 0x00;
export const PACKET_TYPE_PRNG_SEED = 0x01;
export const SEED_PACKET_PAYLOAD_LENGTH = 24;
/** Go's consumeReadSize: how much the reference reads per call in the data phase. */
export const CONSUME_READ_SIZE = MAX_SEGMENT_LENGTH * 16;

// Handshake (handshake_ntor.go)
export const MAX_HANDSHAKE_LENGTH = 8192;
export const MARK_LENGTH = 16;
export const MAC_LENGTH = 16;
export const REPRESENTATIVE_LENGTH = 32;
export const AUTH_LENGTH = 32;
export const NODE_ID_LENGTH = 20;
export const PUBLIC_KEY_LENGTH = 32;
export const INLINE_SEED_FRAME_LENGTH =
  FRAME_OVERHEAD + PACKET_OVERHEAD + SEED_PACKET_PAYLOAD_LENGTH; // 45
export const CLIENT_MIN_HANDSHAKE_LENGTH = REPRESENTATIVE_LENGTH + MARK_LENGTH + MAC_LENGTH; // 64
export const SERVER_MIN_HANDSHAKE_LENGTH =
  REPRESENTATIVE_LENGTH + AUTH_LENGTH + MARK_LENGTH + MAC_LENGTH; // 96
/** The spec says 85; the code's own formula gives 77, and 77 is what deployed clients use. */
export const CLIENT_MIN_PAD_LENGTH =
  SERVER_MIN_HANDSHAKE_LENGTH + INLINE_SEED_FRAME_LENGTH - CLIENT_MIN_HANDSHAKE_LENGTH; // 77
export const CLIENT_MAX_PAD_LENGTH = MAX_HANDSHAKE_LENGTH - CLIENT_MIN_HANDSHAKE_LENGTH; // 8128
export const SERVER_MIN_PAD_LENGTH = 0;
/** The spec says 8096; the code leaves room for the inline PRNG-seed frame. */
export const SERVER_MAX_PAD_LENGTH =
  MAX_HANDSHAKE_LENGTH - (SERVER_MIN_HANDSHAKE_LENGTH + INLINE_SEED_FRAME_LENGTH); // 8051

// Timing (obfs4.go)
export const CLIENT_HANDSHAKE_TIMEOUT_MS = 60_000;
export const SERVER_HANDSHAKE_TIMEOUT_MS = 30_000;
/** Upper bound of the per-bridge close delay, in seconds (closeDelay ∈ [0, 60)). */
export const MAX_CLOSE_DELAY_S = 60;
/** iat distribution range, in units of 100 µs (0 to 10 ms). */
export const MAX_IAT_DELAY = 100;

export type IatMode = 0 | 1 | 2;
export const IAT_NONE = 0;
export const IAT_ENABLED = 1;
export const IAT_PARANOID = 2;

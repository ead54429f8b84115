// RFC 4648 Base32 with the standard alphabet (A–Z, 2–7), as Go's base32.StdEncoding and Python's
// base64.b32encode write it. ScrambleSuit hands its 20-byte shared secret around in this form
// (`password=`, 32 characters: 20 bytes are a whole number of 5-byte groups, so no padding), and
// obfs4proxy's scramblesuit_tickets.json stores key ‖ ticket this way (with "=" padding).
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const DECODE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

/** Base32 text of `data`, "="-padded to a multiple of 8 characters (as Go and Python do). */
export function base32Encode(data: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const byte of data) {
    acc = ((acc << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * Decodes strict standard Base32 (upper case; "=" padding only at the end and only where a
 * group needs it; leftover bits zero). Returns null for anything else, so callers can word
 * their own error: a password and a ticket file are different mistakes.
 */
export function base32Decode(text: string): Uint8Array | null {
  if (text.length % 8 !== 0) return null;
  const body = text.replace(/=+$/, '');
  const padding = text.length - body.length;
  // Valid padding lengths for a final group of 1, 2, 3, 4 or 5 bytes: 6, 4, 3, 1, 0.
  if (![0, 1, 3, 4, 6].includes(padding)) return null;
  const out = new Uint8Array(Math.floor((body.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let pos = 0;
  for (const c of body) {
    const v = DECODE.get(c);
    if (v === undefined) return null;
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[pos++] = (acc >>> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

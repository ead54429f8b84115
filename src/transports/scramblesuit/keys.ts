/**
 * ScrambleSuit's session keys: HKDF-SHA256-Expand (no Extract) of a 32-byte master key, with an
 * empty info, to 144 bytes, cut as
 *
 *   [0:32] client→server AES-256 key   [32:40] its CTR IV prefix
 *   [40:72] server→client AES-256 key  [72:80] its CTR IV prefix
 *   [80:112] client→server HMAC key    [112:144] server→client HMAC key
 *
 * The master key is SHA-256 of the UniformDH shared secret, or the one inside a session ticket.
 */
import { hkdfExpandSha256 } from '../../crypto/hmac.js';
import { KDF_LENGTH, MASTER_KEY_LENGTH } from './constants.js';

/** What one direction of a session needs: CTR key and IV prefix, and the message HMAC key. */
export interface DirectionKeys {
  readonly aesKey: Uint8Array;
  readonly ivPrefix: Uint8Array;
  readonly macKey: Uint8Array;
}

export interface SessionKeys {
  /** client → server */
  readonly upstream: DirectionKeys;
  /** server → client */
  readonly downstream: DirectionKeys;
}

export function deriveSessionKeys(masterKey: Uint8Array): SessionKeys {
  if (masterKey.length !== MASTER_KEY_LENGTH) {
    throw new RangeError(`master key must be ${MASTER_KEY_LENGTH} bytes, got ${masterKey.length}`);
  }
  const okm = hkdfExpandSha256(masterKey, new Uint8Array(0), KDF_LENGTH);
  return {
    upstream: {
      aesKey: okm.slice(0, 32),
      ivPrefix: okm.slice(32, 40),
      macKey: okm.slice(80, 112),
    },
    downstream: {
      aesKey: okm.slice(40, 72),
      ivPrefix: okm.slice(72, 80),
      macKey: okm.slice(112, 144),
    },
  };
}

// obfs3 key derivation from the UniformDH shared secret (protocols.md §3.1):
//   INIT_SECRET = HMAC-SHA256(shared, "Initiator obfuscated data"), RESP_SECRET likewise;
//   each keys AES-128-CTR with SECRET[0:16] and the initial counter block SECRET[16:32];
//   the magics are HMAC-SHA256(shared, "Initiator magic") and (…, "Responder magic").
import { ascii } from '../../crypto/bytes.js';
import { hmacSha256 } from '../../crypto/hmac.js';
import { INITIATOR_KDF, INITIATOR_MAGIC, RESPONDER_KDF, RESPONDER_MAGIC } from './constants.js';

export interface CtrKey {
  readonly key: Uint8Array;
  readonly counter: Uint8Array;
}

export interface Obfs3Keys {
  /** Keys the initiator → responder direction. */
  readonly initiator: CtrKey;
  /** Keys the responder → initiator direction. */
  readonly responder: CtrKey;
  readonly initiatorMagic: Uint8Array;
  readonly responderMagic: Uint8Array;
}

function split(secret: Uint8Array): CtrKey {
  return { key: secret.slice(0, 16), counter: secret.slice(16, 32) };
}

export function deriveObfs3Keys(sharedSecret: Uint8Array): Obfs3Keys {
  return {
    initiator: split(hmacSha256(sharedSecret, ascii(INITIATOR_KDF))),
    responder: split(hmacSha256(sharedSecret, ascii(RESPONDER_KDF))),
    initiatorMagic: hmacSha256(sharedSecret, ascii(INITIATOR_MAGIC)),
    responderMagic: hmacSha256(sharedSecret, ascii(RESPONDER_MAGIC)),
  };
}

/**
 * A streaming, sans-IO TLS record and handshake-message parser for one direction of a flow. It
 * copes with records split across chunks, several handshake messages in one record and one
 * message spread over several records, which is what a DPI box has to do too. It stops at the
 * first ChangeCipherSpec (what follows is encrypted) or at bytes that are not TLS records.
 */

export const CONTENT_CHANGE_CIPHER_SPEC = 20;
export const CONTENT_ALERT = 21;
export const CONTENT_HANDSHAKE = 22;
export const CONTENT_APPLICATION_DATA = 23;

export const HS_CLIENT_HELLO = 1;
export const HS_SERVER_HELLO = 2;
export const HS_CERTIFICATE = 11;
export const HS_SERVER_KEY_EXCHANGE = 12;
export const HS_SERVER_HELLO_DONE = 14;
export const HS_CLIENT_KEY_EXCHANGE = 16;

/** The record cap of RFC 8446 §5.2 (ciphertext), generous for plaintext too. */
const MAX_RECORD = 16384 + 2048;
/** A handshake message larger than this is treated as garbage (certificate chains fit). */
const MAX_HANDSHAKE = 1 << 18;

export interface TlsRecordHeader {
  readonly type: number;
  readonly version: number;
  readonly length: number;
}

export interface HandshakeMessage {
  readonly msgType: number;
  readonly body: Uint8Array;
  /** The header of the record in which the message started. */
  readonly record: TlsRecordHeader;
}

export interface ParseEvents {
  readonly records: readonly TlsRecordHeader[];
  readonly handshakes: readonly HandshakeMessage[];
}

export class TlsDirectionParser {
  #buf: Uint8Array = new Uint8Array(0);
  #hs: Uint8Array = new Uint8Array(0);
  #hsRecord: TlsRecordHeader | undefined;
  /** Bytes were seen that cannot be a TLS record: nothing more will be parsed. */
  notTls = false;
  /** A ChangeCipherSpec (or application data) went by: later handshake bytes are encrypted. */
  encrypted = false;
  recordsSeen = 0;

  push(bytes: Uint8Array): ParseEvents {
    const records: TlsRecordHeader[] = [];
    const handshakes: HandshakeMessage[] = [];
    if (this.notTls) return { records, handshakes };
    this.#buf = concat(this.#buf, bytes);
    for (;;) {
      if (this.#buf.length < 5) break;
      const b = this.#buf;
      const header: TlsRecordHeader = {
        type: b[0]!,
        version: (b[1]! << 8) | b[2]!,
        length: (b[3]! << 8) | b[4]!,
      };
      if (
        header.type < CONTENT_CHANGE_CIPHER_SPEC ||
        header.type > 24 ||
        b[1] !== 3 ||
        header.length > MAX_RECORD
      ) {
        this.notTls = true;
        this.#buf = new Uint8Array(0);
        break;
      }
      if (b.length < 5 + header.length) break;
      const body = b.subarray(5, 5 + header.length);
      this.#buf = b.subarray(5 + header.length);
      this.recordsSeen++;
      records.push(header);
      if (header.type === CONTENT_CHANGE_CIPHER_SPEC || header.type === CONTENT_APPLICATION_DATA) {
        this.encrypted = true;
        continue;
      }
      if (header.type !== CONTENT_HANDSHAKE || this.encrypted) continue;
      if (this.#hs.length === 0) this.#hsRecord = header;
      this.#hs = concat(this.#hs, body);
      while (this.#hs.length >= 4) {
        const h = this.#hs;
        const len = (h[1]! << 16) | (h[2]! << 8) | h[3]!;
        if (len > MAX_HANDSHAKE) {
          this.notTls = true;
          return { records, handshakes };
        }
        if (h.length < 4 + len) break;
        handshakes.push({
          msgType: h[0]!,
          body: h.slice(4, 4 + len),
          record: this.#hsRecord ?? header,
        });
        this.#hs = h.subarray(4 + len);
        this.#hsRecord = header;
      }
    }
    return { records, handshakes };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

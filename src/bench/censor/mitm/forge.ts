import { randomBytes } from 'node:crypto';
import { HOUR, issue, rsaKeyPair, x509, type KeyedCert } from '../certs.js';
import type { NationalCa } from './national-ca.js';
import type { webcrypto } from 'node:crypto';

/** What the 2019 middlebox changed in a certificate it forged (censors.md §1.4). */
export const FORGED_VALIDITY_SHIFT_MS = 6 * HOUR;
const OID_SUBJECT_ALT_NAME = '2.5.29.17';

/**
 * Forges a leaf from the upstream server's real certificate, the way the 2019 Kazakh box did:
 * same Subject and SAN; a fresh host-specific RSA-2048 key; notBefore/notAfter shifted exactly
 * 6 hours into the past; the serial number with its last 4 bytes replaced; every other extension
 * removed; issued by the national intermediate.
 */
export class LeafForger {
  readonly #ca: NationalCa;
  /** One key per upstream identity, like the observed host-specific keys. */
  readonly #keys = new Map<string, Promise<webcrypto.CryptoKeyPair>>();

  constructor(ca: NationalCa) {
    this.#ca = ca;
  }

  async forge(upstreamDer: Uint8Array): Promise<KeyedCert> {
    const real = new x509.X509Certificate(upstreamDer);
    const sanExt = real.extensions.find((e) => e.type === OID_SUBJECT_ALT_NAME);
    const id = `${real.subject}|${sanExt ? Buffer.from(sanExt.rawData).toString('hex') : ''}`;
    let keys = this.#keys.get(id);
    if (keys === undefined) {
      keys = rsaKeyPair(2048);
      this.#keys.set(id, keys);
    }
    const serial = Buffer.from(real.serialNumber, 'hex');
    const tail = randomBytes(4);
    // A changed tail, never by chance the same one.
    if (serial.length >= 4 && tail.equals(serial.subarray(serial.length - 4))) tail[3]! ^= 0xff;
    const forgedSerial = Buffer.concat([serial.subarray(0, Math.max(0, serial.length - 4)), tail]);
    // DER INTEGERs are signed: keep the serial positive.
    if ((forgedSerial[0]! & 0x80) !== 0) forgedSerial[0]! &= 0x7f;
    return issue({
      subject: new x509.Name(real.subjectName.toArrayBuffer()),
      issuer: this.#ca.intermediate,
      keys: await keys,
      serialNumber: forgedSerial.toString('hex'),
      notBefore: new Date(real.notBefore.getTime() - FORGED_VALIDITY_SHIFT_MS),
      notAfter: new Date(real.notAfter.getTime() - FORGED_VALIDITY_SHIFT_MS),
      extensions: sanExt ? [new x509.Extension(sanExt.rawData)] : [],
    });
  }
}

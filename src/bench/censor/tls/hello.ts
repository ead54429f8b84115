import { createHash, X509Certificate } from 'node:crypto';

/**
 * Field extraction from TLS handshake messages (bodies without the 4-byte handshake header):
 * what DPI boxes read in the clear. Parsers return undefined on malformed input, never throw.
 */

export interface ClientHelloInfo {
  readonly legacyVersion: number;
  readonly sni: string | undefined;
  readonly cipherSuites: readonly number[];
  readonly extensions: readonly number[];
  readonly supportedVersions: readonly number[];
  readonly groups: readonly number[];
  readonly pointFormats: readonly number[];
  /** signature_algorithms (13), in the client's order. */
  readonly signatureAlgorithms: readonly number[];
  /** ALPN (16) protocol names, raw bytes, in the client's order. */
  readonly alpn: readonly Uint8Array[];
  /** The groups of the key_share (51) entries, in order. */
  readonly keyShares: readonly number[];
  /** JA3 string (GREASE values removed) and its MD5. */
  readonly ja3: string;
  readonly ja3Hash: string;
}

export interface ServerHelloInfo {
  readonly legacyVersion: number;
  readonly cipherSuite: number;
  /** 0x0304 when the supported_versions extension selects TLS 1.3, else the legacy version. */
  readonly version: number;
}

export interface CertificateInfo {
  readonly subjectCN: string | undefined;
  readonly issuerCN: string | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly lifetimeMs: number;
  readonly serialNumber: string;
  readonly sha256: string;
}

const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_EC_POINT_FORMATS = 11;
const EXT_SIGNATURE_ALGORITHMS = 13;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_KEY_SHARE = 51;

/** GREASE values (RFC 8701) are 0x?a?a with both bytes equal. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

class Reader {
  #pos = 0;
  constructor(private readonly b: Uint8Array) {}
  get left(): number {
    return this.b.length - this.#pos;
  }
  u8(): number {
    if (this.left < 1) throw new RangeError('short');
    return this.b[this.#pos++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u24(): number {
    return (this.u8() << 16) | (this.u8() << 8) | this.u8();
  }
  bytes(n: number): Uint8Array {
    if (this.left < n) throw new RangeError('short');
    const out = this.b.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }
}

function u16List(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) out.push((b[i]! << 8) | b[i + 1]!);
  return out;
}

export function parseClientHello(body: Uint8Array): ClientHelloInfo | undefined {
  try {
    const r = new Reader(body);
    const legacyVersion = r.u16();
    r.bytes(32);
    r.bytes(r.u8());
    const cipherSuites = u16List(r.bytes(r.u16()));
    r.bytes(r.u8());
    const extensions: number[] = [];
    let sni: string | undefined;
    let supportedVersions: number[] = [];
    let groups: number[] = [];
    let pointFormats: number[] = [];
    let signatureAlgorithms: number[] = [];
    const alpn: Uint8Array[] = [];
    const keyShares: number[] = [];
    if (r.left >= 2) {
      const ext = new Reader(r.bytes(r.u16()));
      while (ext.left >= 4) {
        const type = ext.u16();
        const data = ext.bytes(ext.u16());
        extensions.push(type);
        const d = new Reader(data);
        if (type === EXT_SERVER_NAME && data.length >= 2) {
          const list = new Reader(d.bytes(d.u16()));
          while (list.left >= 3) {
            const nameType = list.u8();
            const name = list.bytes(list.u16());
            if (nameType === 0 && sni === undefined) sni = Buffer.from(name).toString('latin1');
          }
        } else if (type === EXT_SUPPORTED_VERSIONS && data.length >= 1) {
          supportedVersions = u16List(d.bytes(d.u8()));
        } else if (type === EXT_SUPPORTED_GROUPS && data.length >= 2) {
          groups = u16List(d.bytes(d.u16()));
        } else if (type === EXT_EC_POINT_FORMATS && data.length >= 1) {
          pointFormats = [...d.bytes(d.u8())];
        } else if (type === EXT_SIGNATURE_ALGORITHMS && data.length >= 2) {
          signatureAlgorithms = u16List(d.bytes(d.u16()));
        } else if (type === EXT_ALPN && data.length >= 2) {
          const list = new Reader(d.bytes(d.u16()));
          while (list.left >= 1) alpn.push(list.bytes(list.u8()));
        } else if (type === EXT_KEY_SHARE && data.length >= 2) {
          const list = new Reader(d.bytes(d.u16()));
          while (list.left >= 4) {
            keyShares.push(list.u16());
            list.bytes(list.u16());
          }
        }
      }
    }
    const ja3 = [
      legacyVersion,
      cipherSuites.filter((c) => !isGrease(c)).join('-'),
      extensions.filter((e) => !isGrease(e)).join('-'),
      groups.filter((g) => !isGrease(g)).join('-'),
      pointFormats.join('-'),
    ].join(',');
    return {
      legacyVersion,
      sni,
      cipherSuites,
      extensions,
      supportedVersions,
      groups,
      pointFormats,
      signatureAlgorithms,
      alpn,
      keyShares,
      ja3,
      ja3Hash: createHash('md5').update(ja3).digest('hex'),
    };
  } catch {
    return undefined;
  }
}

export function parseServerHello(body: Uint8Array): ServerHelloInfo | undefined {
  try {
    const r = new Reader(body);
    const legacyVersion = r.u16();
    r.bytes(32);
    r.bytes(r.u8());
    const cipherSuite = r.u16();
    r.u8();
    let version = legacyVersion;
    if (r.left >= 2) {
      const ext = new Reader(r.bytes(r.u16()));
      while (ext.left >= 4) {
        const type = ext.u16();
        const data = ext.bytes(ext.u16());
        if (type === EXT_SUPPORTED_VERSIONS && data.length === 2)
          version = (data[0]! << 8) | data[1]!;
      }
    }
    return { legacyVersion, cipherSuite, version };
  } catch {
    return undefined;
  }
}

/** The DER certificates of a TLS ≤ 1.2 Certificate message, leaf first. */
export function parseCertificateList(body: Uint8Array): Uint8Array[] | undefined {
  try {
    const r = new Reader(body);
    const list = new Reader(r.bytes(r.u24()));
    const out: Uint8Array[] = [];
    while (list.left >= 3) out.push(list.bytes(list.u24()));
    return out;
  } catch {
    return undefined;
  }
}

function cn(dn: string): string | undefined {
  // Node prints one RDN per line: "C=KZ\nCN=Qaznet Trust Network".
  const m = /(?:^|\n)CN=([^\n]*)/.exec(dn);
  return m?.[1];
}

export function certificateInfo(der: Uint8Array): CertificateInfo | undefined {
  try {
    const c = new X509Certificate(der);
    const notBefore = new Date(c.validFrom);
    const notAfter = new Date(c.validTo);
    return {
      subjectCN: cn(c.subject),
      issuerCN: cn(c.issuer),
      notBefore,
      notAfter,
      lifetimeMs: notAfter.getTime() - notBefore.getTime(),
      serialNumber: c.serialNumber,
      sha256: c.fingerprint256.replaceAll(':', '').toLowerCase(),
    };
  } catch {
    return undefined;
  }
}

import { webcrypto, randomBytes } from 'node:crypto';
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';

/**
 * X.509 helpers for the bench's own certificates: the Tor-TLS emulator's identity/link pair, the
 * control HTTPS servers' test CA, and the national-CA interception chain. Every key is generated
 * here, locally; none of them is ever a real CA's.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const RSA_SHA256 = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
} as const;

/** A certificate with its key pair and the PEM forms node:tls wants. */
export interface KeyedCert {
  readonly cert: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly certPem: string;
  readonly keyPem: string;
  readonly der: Uint8Array;
}

export async function rsaKeyPair(bits: number): Promise<webcrypto.CryptoKeyPair> {
  return await webcrypto.subtle.generateKey({ ...RSA_SHA256, modulusLength: bits }, true, [
    'sign',
    'verify',
  ]);
}

export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

/** A random positive serial number of `bytes` bytes, hex. */
export function randomSerial(bytes = 16): string {
  const b = randomBytes(bytes);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

export interface IssueParams {
  /** RFC 2253-style name ("C=KZ, CN=Qaznet Trust Network") or a raw DER Name. */
  readonly subject: string | x509.Name;
  /** The issuing certificate; omit for a self-signed certificate. */
  readonly issuer?: KeyedCert;
  /** Key pair of the new certificate (generated with `bits` when omitted). */
  readonly keys?: webcrypto.CryptoKeyPair;
  readonly bits?: number;
  readonly serialNumber?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions?: x509.Extension[];
}

export async function issue(p: IssueParams): Promise<KeyedCert> {
  const keys = p.keys ?? (await rsaKeyPair(p.bits ?? 2048));
  const signer = p.issuer?.keys ?? keys;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: p.serialNumber ?? randomSerial(),
    subject: p.subject,
    issuer: p.issuer ? p.issuer.cert.subjectName : p.subject,
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    signingAlgorithm: RSA_SHA256,
    publicKey: keys.publicKey,
    signingKey: signer.privateKey,
    extensions: p.extensions ?? [],
  });
  return {
    cert,
    keys,
    certPem: cert.toString('pem').trimEnd() + '\n',
    keyPem: await privateKeyPem(keys.privateKey),
    der: new Uint8Array(cert.rawData),
  };
}

/** Extensions of a CA certificate. */
export function caExtensions(pathLength?: number): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
}

/** Extensions of an ordinary TLS server certificate for `names`. */
export function serverExtensions(names: readonly string[]): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false, undefined, false),
    new x509.SubjectAlternativeNameExtension(
      names.map((n) => ({ type: 'dns' as const, value: n })),
    ),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
  ];
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const YEAR = 365 * DAY;

/** A local test CA plus a server certificate for `names` under it (the control HTTPS servers). */
export async function testServerChain(
  names: readonly string[],
): Promise<{ ca: KeyedCert; leaf: KeyedCert }> {
  const now = Date.now();
  const ca = await issue({
    subject: 'C=US, O=steppe bench, CN=steppe bench test CA',
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 10 * YEAR),
    extensions: caExtensions(0),
  });
  const leaf = await issue({
    subject: `CN=${names[0] ?? 'localhost'}`,
    issuer: ca,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 90 * DAY),
    extensions: serverExtensions(names),
  });
  return { ca, leaf };
}

export { x509 };

/**
 * Certificate-chain pinning as lyrebird's webtunnel `cert=` defines it (0.7.0, webtunnel's
 * certiChainHashCalc, itself v2ray's PinnedPeerCertificateChainSha256): with the DER
 * certificates c0 (leaf), c1, ... in the order the server sent them,
 *
 *   h = SHA-256(c0);  for each next ci: h = SHA-256(h || SHA-256(ci))
 *
 * and `cert=` is base64 (standard alphabet, padded) of the final h. When a pin is given,
 * lyrebird skips CA validation and accepts exactly the pinned chain.
 *
 * Also the "unexpected issuer" check for a client without a pin: the SHA-256 of every
 * certificate in the chain against the Kazakh interception roots (censors.md §1.4).
 */
import { createHash } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The chain hash of DER certificates, leaf first. */
export function chainHash(ders: readonly Uint8Array[]): Buffer {
  let h: Buffer | null = null;
  for (const der of ders) h = h === null ? sha256(der) : sha256(h, sha256(der));
  if (h === null) throw new RangeError('chainHash of an empty chain');
  return h;
}

/** The `cert=` value for a PEM bundle (leaf first), as lyrebird's tooling computes it. */
export function pinForPem(pem: string): string {
  const ders = [
    ...pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g),
  ].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
  return chainHash(ders).toString('base64');
}

/**
 * The peer's chain, leaf first. Node exposes the chain only as linked objects
 * (getPeerCertificate(true)), built from what the peer sent and, past its last certificate, from
 * the trust store; the walk ends at a self-signed certificate, which links to itself. Building
 * those objects costs ~0.7 ms a connection (measured): pass `leaf` when Node already built them
 * (its checkServerIdentity callback receives them).
 */
export function peerCertificates(
  socket: TLSSocket,
  leaf: PeerCertificate = socket.getPeerCertificate(true),
): PeerCertificate[] {
  const out: PeerCertificate[] = [];
  let c: PeerCertificate | undefined = leaf;
  const seen = new Set<string>();
  // Bounded: each certificate is visited once (the fingerprint set), and a chain is finite.
  while (c !== undefined && c.raw !== undefined && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(c);
    c = (c as PeerCertificate & { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return out;
}

/**
 * SHA-256 (hex) of the Kazakh national "security certificates" (censors.md §1.4 and §1.5):
 * the 2019 Qaznet Trust Network root, the 2020 ISCA roots, and the 2024 ISCA certificates.
 */
export const KZ_INTERCEPTION_ROOTS: ReadonlyMap<string, string> = new Map([
  [
    '00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2',
    'Qaznet Trust Network (2019)',
  ],
  [
    '61c0fc2e38b5b6f9071b42cee54a9013d858b6697c68b460948551b3249576a1',
    'Information Security Certification Authority CA (2020)',
  ],
  [
    '1df696f021ab1c3ace9a376b07ed7256a40214cd3396d7934087614924e2d7ef',
    'Information Security Certification Authority (2020)',
  ],
  [
    '89107c8e50e029b7b5f4ff0ccd2956bcc9d0c8ba2bfb6a58374ed63a6b034a30',
    'Information Security Certification Authority (2024)',
  ],
  [
    'c530fadc9bfa265e63b755cc6ee04c2d70d60bb916ce2f331dc7359362571b25',
    'Information Security Certification Authority (2024)',
  ],
  [
    '235150de7df7db2e538d461bc4d210c4e0819be2c4c76969476e3cbe67b723dd',
    'Information Security Certification Authority (isca.gov.kz, 2024)',
  ],
]);

/**
 * The name of the first known interception certificate in `chain`, or null. `extra` adds
 * fingerprints (hex SHA-256 → name): the censor bench adds its own locally made national root.
 */
export function interceptionIssuer(
  chain: readonly Uint8Array[],
  extra?: ReadonlyMap<string, string>,
): string | null {
  for (const der of chain) {
    const fp = sha256(der).toString('hex');
    const name = KZ_INTERCEPTION_ROOTS.get(fp) ?? extra?.get(fp);
    if (name !== undefined) return name;
  }
  return null;
}

/**
 * The CN of the first issuing certificate whose subject is C=KZ (the shape of every Kazakh
 * interception root and intermediate so far), or null: catches a new national root whose
 * fingerprint is not listed yet. Only ever a warning: it is a heuristic.
 */
export function kazakhIssuer(chain: readonly PeerCertificate[]): string | null {
  for (const c of chain.slice(1)) {
    const subject = c.subject as unknown as Record<string, string | undefined> | undefined;
    if (subject?.['C'] === 'KZ') return subject['CN'] ?? 'C=KZ';
  }
  return null;
}

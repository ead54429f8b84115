import { caExtensions, issue, type KeyedCert, YEAR } from '../certs.js';

/**
 * A locally generated stand-in for Kazakhstan's 2019 interception chain (censors.md §1.4): a
 * self-signed root "C=KZ, CN=Qaznet Trust Network" (RSA-4096, 30 years from 2016-02-02, like the
 * real one) and an intermediate "C=KZ, CN=Security Certificate" (RSA-2048, 3 years). The keys are
 * fresh on every run; they have nothing to do with the real CA's.
 */
export interface NationalCa {
  readonly root: KeyedCert;
  readonly intermediate: KeyedCert;
}

export interface NationalCaOptions {
  /** Root key size; 4096 like the original (tests may pass 2048 to save time). */
  readonly rootBits?: number;
}

export const QAZNET_ROOT_SUBJECT = 'C=KZ, CN=Qaznet Trust Network';
export const QAZNET_INTERMEDIATE_SUBJECT = 'C=KZ, CN=Security Certificate';

/**
 * SHA-256 fingerprints of the real interception roots in Chromium's blocklist
 * (net/data/ssl/blocklist/README.md, "Qaznet Trust Network"), for clients that want to refuse
 * them by pin.
 */
export const BLOCKLISTED_KZ_ROOTS: readonly string[] = [
  '00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2',
  '61c0fc2e38b5b6f9071b42cee54a9013d858b6697c68b460948551b3249576a1',
  '1df696f021ab1c3ace9a376b07ed7256a40214cd3396d7934087614924e2d7ef',
];

export async function createNationalCa(opts: NationalCaOptions = {}): Promise<NationalCa> {
  const root = await issue({
    subject: QAZNET_ROOT_SUBJECT,
    bits: opts.rootBits ?? 4096,
    notBefore: new Date('2016-02-02T05:41:00Z'),
    notAfter: new Date('2046-02-02T05:41:00Z'),
    extensions: caExtensions(),
  });
  const now = Date.now();
  const intermediate = await issue({
    subject: QAZNET_INTERMEDIATE_SUBJECT,
    issuer: root,
    bits: 2048,
    notBefore: new Date(now - YEAR),
    notAfter: new Date(now + 2 * YEAR),
    extensions: caExtensions(0),
  });
  return { root, intermediate };
}

/**
 * The node:tls client options that bring steppe's ClientHello as close to current Chrome's as
 * Node 20 with OpenSSL 3.0 allows: Chrome's cipher-suite order (TLS 1.3 then its TLS 1.2
 * list), its key-share groups minus the post-quantum hybrid OpenSSL 3.0 lacks, its signature
 * algorithms in order, and ALPN h2 + http/1.1 (the webtunnel server, or the web server in
 * front, must pick http/1.1), status_request on and encrypt_then_mac off. What stays different (GREASE, extension order and permutation,
 * compress_certificate, ALPS, ECH, X25519MLKEM768) is measured in ja4.md beside this file.
 */
import { constants } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';

export const CHROME_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-RSA-AES256-SHA',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA',
  'AES256-SHA',
].join(':');

export const CHROME_GROUPS = 'X25519:P-256:P-384';

export const CHROME_SIGALGS = [
  'ecdsa_secp256r1_sha256',
  'rsa_pss_rsae_sha256',
  'rsa_pkcs1_sha256',
  'ecdsa_secp384r1_sha384',
  'rsa_pss_rsae_sha384',
  'rsa_pkcs1_sha384',
  'rsa_pss_rsae_sha512',
  'rsa_pkcs1_sha512',
].join(':');

export const BROWSER_ALPN = ['h2', 'http/1.1'];

/** requestOCSP is a tls.connect option that @types/node 20 lists only for servers. */
export function browserTlsOptions(): ConnectionOptions & { requestOCSP: boolean } {
  return {
    ciphers: CHROME_CIPHERS,
    ecdhCurve: CHROME_GROUPS,
    sigalgs: CHROME_SIGALGS,
    ALPNProtocols: BROWSER_ALPN,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    // Chrome sends status_request (0005) and no encrypt_then_mac (0016); OpenSSL's defaults
    // are the other way round. Both measured in ja4.md.
    requestOCSP: true,
    secureOptions: constants.SSL_OP_NO_ENCRYPT_THEN_MAC,
  };
}

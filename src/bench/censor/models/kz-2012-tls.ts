import {
  HS_CERTIFICATE,
  HS_CLIENT_KEY_EXCHANGE,
  HS_SERVER_HELLO,
  TlsDirectionParser,
} from '../tls/records.js';
import { certificateInfo, parseCertificateList, parseServerHello } from '../tls/hello.js';
import type { CensorModel, Decision } from '../types.js';

export type Kz2012Rule = 'cipher0039' | 'torCertNames' | 'shortLifetime';

/** Parameters of `kz-2012-tls` (censors.md §6.2). */
export interface Kz2012Options {
  /**
   * cke: the 2012-02-16 post read literally, any ClientKeyExchange is dropped.
   * tor-serverhello: the 2012-03-02 update, Tor's ServerHello/Certificate is fingerprinted and
   * the client's next flight never arrives. both: either.
   */
  readonly variant?: 'cke' | 'tor-serverhello' | 'both';
  readonly rules?: readonly Kz2012Rule[];
  /** shortLifetime: leaf validity below this (Iran 2011 matched Tor's 2-hour certificates). */
  readonly minLifetimeMs?: number;
  /** Ethiopia 2012 style: the matching server chunk is dropped as well. */
  readonly dropMatched?: boolean;
}

/** Tor's link certificate names (tortls.c): www.<8-20 base32>.net signed by www.<8-20>.com. */
export const TOR_LINK_CN = /^www\.[a-z2-7]{8,20}\.net$/;
export const TOR_IDENTITY_CN = /^www\.[a-z2-7]{8,20}\.com$/;
/** TLS_DHE_RSA_WITH_AES_256_CBC_SHA, the cipher Ethiopia's boxes keyed on in 2012. */
export const CIPHER_DHE_RSA_AES256_SHA = 0x0039;

/**
 * Kazakhstan, February–March 2012 (KazTransCom DPI): a TLS handshake fingerprint with a
 * drop-the-rest action. Which field the real box matched is unknown; both published readings
 * are modelled.
 */
export function kz2012Tls(opts: Kz2012Options = {}): CensorModel {
  const name = 'kz-2012-tls';
  const variant = opts.variant ?? 'tor-serverhello';
  const rules = new Set(opts.rules ?? ['cipher0039', 'torCertNames', 'shortLifetime']);
  const minLifetimeMs = opts.minLifetimeMs ?? 86_400_000;
  const cke = variant === 'cke' || variant === 'both';
  const torSh = variant === 'tor-serverhello' || variant === 'both';
  return {
    name,
    inspect() {
      const c2s = new TlsDirectionParser();
      const s2c = new TlsDirectionParser();
      let reportedC2S = false;
      let reportedS2C = false;
      let tls13 = false;
      const block = (rule: string, action: Decision['action'], evidence: object): Decision => ({
        model: name,
        rule,
        verdict: 'block',
        action,
        evidence: { variant, ...evidence },
        ...(action === 'dropC2S' && opts.dropMatched ? { dropMatched: true } : {}),
      });
      const allow = (rule: string, evidence: object): Decision => ({
        model: name,
        rule,
        verdict: 'allow',
        action: 'none',
        evidence: { variant, ...evidence },
      });
      return {
        onChunk(chunk) {
          const out: Decision[] = [];
          if (chunk.dir === 'c2s') {
            if (!cke || c2s.notTls || c2s.encrypted) return undefined;
            const ev = c2s.push(chunk.bytes);
            for (const h of ev.handshakes) {
              if (h.msgType === HS_CLIENT_KEY_EXCHANGE) {
                return block('clientKeyExchange', 'dropRest', {
                  msgType: h.msgType,
                  recordVersion: `0x${h.record.version.toString(16).padStart(4, '0')}`,
                  bodyLen: h.body.length,
                });
              }
            }
            if (!reportedC2S && c2s.notTls) {
              reportedC2S = true;
              out.push(allow('notTls', { dir: 'c2s', firstByte: chunk.bytes[0] ?? null }));
            } else if (!reportedC2S && c2s.encrypted) {
              reportedC2S = true;
              out.push(allow('noClientKeyExchange', { dir: 'c2s', records: c2s.recordsSeen }));
            }
            return out;
          }
          if (!torSh || s2c.notTls || s2c.encrypted) return undefined;
          const ev = s2c.push(chunk.bytes);
          for (const h of ev.handshakes) {
            if (h.msgType === HS_SERVER_HELLO) {
              const sh = parseServerHello(h.body);
              if (sh === undefined) continue;
              tls13 = sh.version === 0x0304;
              if (rules.has('cipher0039') && sh.cipherSuite === CIPHER_DHE_RSA_AES256_SHA) {
                return block('cipher0039', 'dropC2S', { cipherSuite: '0x0039' });
              }
              if (tls13 && !reportedS2C) {
                reportedS2C = true;
                out.push(
                  allow('tls13CertificateEncrypted', {
                    cipherSuite: `0x${sh.cipherSuite.toString(16).padStart(4, '0')}`,
                  }),
                );
              }
            } else if (h.msgType === HS_CERTIFICATE && !tls13) {
              const certs = parseCertificateList(h.body);
              const leaf = certs?.[0] ? certificateInfo(certs[0]) : undefined;
              if (leaf === undefined) continue;
              const evidence = {
                subjectCN: leaf.subjectCN ?? null,
                issuerCN: leaf.issuerCN ?? null,
                lifetimeHours: Math.round(leaf.lifetimeMs / 36e5),
                chainLength: certs?.length ?? 0,
              };
              if (
                rules.has('torCertNames') &&
                TOR_LINK_CN.test(leaf.subjectCN ?? '') &&
                TOR_IDENTITY_CN.test(leaf.issuerCN ?? '')
              ) {
                return block('torCertNames', 'dropC2S', evidence);
              }
              if (rules.has('shortLifetime') && leaf.lifetimeMs < minLifetimeMs) {
                return block('shortLifetime', 'dropC2S', { ...evidence, minLifetimeMs });
              }
              if (!reportedS2C) {
                reportedS2C = true;
                out.push(allow('certificateNotTor', evidence));
              }
            }
          }
          if (!reportedS2C && s2c.notTls) {
            reportedS2C = true;
            out.push(allow('notTls', { dir: 's2c', firstByte: chunk.bytes[0] ?? null }));
          }
          return out;
        },
      };
    },
  };
}

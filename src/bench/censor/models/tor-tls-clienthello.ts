import { HS_CLIENT_HELLO, TlsDirectionParser } from '../tls/records.js';
import { parseClientHello } from '../tls/hello.js';
import type { CensorModel } from '../types.js';

/** Parameters of `tor-tls-clienthello` (censors.md §6.2). */
export interface TorTlsClientHelloOptions {
  /** The SNI rule; Tor's client picks www.<4-25 base32>.com for every connection. */
  readonly sniPattern?: RegExp;
  /** JA3 strings or MD5s that also match. */
  readonly ja3?: readonly string[];
  /** dropRest (Ethiopia 2012: stateless drop) or flagForProbe (GFW: hand over to the prober). */
  readonly action?: 'dropRest' | 'flagForProbe';
}

export const TOR_CLIENT_SNI = /^www\.[a-z2-7]{4,25}\.com$/;

/**
 * Tor's TLS ClientHello as a trigger: its random SNI (crypto_random_hostname in tortls) or a
 * cipher-list fingerprint (GFW 2011, Ethiopia July 2012).
 */
export function torTlsClientHello(opts: TorTlsClientHelloOptions = {}): CensorModel {
  const name = 'tor-tls-clienthello';
  const sniPattern = opts.sniPattern ?? TOR_CLIENT_SNI;
  const ja3 = new Set(opts.ja3 ?? []);
  const action = opts.action ?? 'dropRest';
  return {
    name,
    inspect() {
      const p = new TlsDirectionParser();
      let done = false;
      return {
        onChunk(chunk) {
          if (done || chunk.dir !== 'c2s') return undefined;
          const ev = p.push(chunk.bytes);
          if (p.notTls) {
            done = true;
            return {
              model: name,
              rule: 'notTls',
              verdict: 'allow',
              action: 'none',
              evidence: { firstByte: chunk.bytes[0] ?? null },
            };
          }
          const hs = ev.handshakes[0];
          if (hs === undefined) return undefined;
          done = true;
          const ch = hs.msgType === HS_CLIENT_HELLO ? parseClientHello(hs.body) : undefined;
          if (ch === undefined) {
            return {
              model: name,
              rule: 'noClientHello',
              verdict: 'allow',
              action: 'none',
              evidence: { msgType: hs.msgType },
            };
          }
          const evidence = {
            sni: ch.sni ?? null,
            ja3Hash: ch.ja3Hash,
            ciphers: ch.cipherSuites.length,
          };
          const sniHit = ch.sni !== undefined && sniPattern.test(ch.sni);
          const ja3Hit = ja3.has(ch.ja3) || ja3.has(ch.ja3Hash);
          if (!sniHit && !ja3Hit) {
            return { model: name, rule: 'noMatch', verdict: 'allow', action: 'none', evidence };
          }
          const rule = sniHit ? 'torSni' : 'ja3';
          return action === 'dropRest'
            ? { model: name, rule, verdict: 'block', action: 'dropRest', evidence }
            : { model: name, rule, verdict: 'flag', action: 'flag', evidence };
        },
      };
    },
  };
}

import { ResidualTable } from '../tables.js';
import { HS_CLIENT_HELLO, TlsDirectionParser } from '../tls/records.js';
import { parseClientHello } from '../tls/hello.js';
import type { CensorModel } from '../types.js';
import { KZ_2019_TARGETS } from './mitm-national-ca.js';

/** Parameters of `sni-blocklist` (censors.md §6.2). */
export interface SniBlocklistOptions {
  /** Exact SNIs (case-insensitive); default the 37 domains Kazakhstan intercepted in 2019. */
  readonly list?: readonly string[];
  /** rst (the GFW) or dropRest (Kazakhstan 2024: the session times out after the ClientHello). */
  readonly action?: 'rst' | 'dropRest';
  /** The penalty box on the (client, server, port) triple after a hit; 0 disables it. */
  readonly residualMs?: number;
}

/**
 * SNI filtering: the first ClientHello of a flow names a listed server, so the flow is cut and
 * the 3-tuple stays blocked for a while (GFW: 90 s [L]; OONI 2024: Kazakh ISPs time sessions
 * out after the ClientHello [S]). It decides only TLS-wrapped transports: whatever their inner
 * protocol, a listed SNI is all it takes.
 */
export function sniBlocklist(opts: SniBlocklistOptions = {}): CensorModel {
  const name = 'sni-blocklist';
  const list = new Set((opts.list ?? KZ_2019_TARGETS).map((s) => s.toLowerCase()));
  const action = opts.action ?? 'dropRest';
  const residualMs = opts.residualMs ?? 90_000;
  return {
    name,
    onFlowStart(flow, ctx) {
      const key = ResidualTable.key(3, flow.clientIp, flow.serverIp, flow.serverPort);
      const e = ctx.residual.get(`${name}|${key}`);
      if (e === undefined) return undefined;
      return {
        model: name,
        rule: 'residual',
        verdict: 'block',
        action: 'dropSyn',
        evidence: { tuple: key, since: e.reason },
      };
    },
    inspect(flow, ctx) {
      const p = new TlsDirectionParser();
      let done = false;
      return {
        onChunk(chunk) {
          if (done || chunk.dir !== 'c2s') return undefined;
          const ev = p.push(chunk.bytes);
          if (p.notTls) {
            done = true;
            return { model: name, rule: 'notTls', verdict: 'allow', action: 'none', evidence: {} };
          }
          const hs = ev.handshakes[0];
          if (hs === undefined) return undefined;
          done = true;
          const ch = hs.msgType === HS_CLIENT_HELLO ? parseClientHello(hs.body) : undefined;
          const sni = ch?.sni?.toLowerCase();
          if (sni === undefined || !list.has(sni)) {
            return {
              model: name,
              rule: 'sniNotListed',
              verdict: 'allow',
              action: 'none',
              evidence: { sni: sni ?? null },
            };
          }
          const key = ResidualTable.key(3, flow.clientIp, flow.serverIp, flow.serverPort);
          if (residualMs > 0)
            ctx.residual.add(`${name}|${key}`, residualMs, name, `flow ${flow.id}`);
          return {
            model: name,
            rule: 'sniListed',
            verdict: 'block',
            action,
            evidence: { sni, residual: residualMs > 0 ? { tuple: key, ms: residualMs } : null },
          };
        },
      };
    },
  };
}

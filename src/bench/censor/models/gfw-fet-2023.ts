import {
  longestPrintableRun,
  popcountPerByte,
  printableFraction,
  printablePrefixLength,
  round,
} from '../stats.js';
import { ipInAny } from '../ip-match.js';
import { ResidualTable } from '../tables.js';
import type { CensorModel, Decision } from '../types.js';

/** Parameters of the GFW fully-encrypted-traffic rule (censors.md §6.2 `gfw-fet-2023`). */
export interface FetOptions {
  /** Block probability for a non-exempt flow (0.263, from the paper team's OONI text). */
  readonly p?: number;
  /** Residual block of the tuple after a block, model milliseconds (180 s). */
  readonly residualMs?: number;
  /** 3: (client IP, server IP, server port); 2: (client IP, server IP). */
  readonly tuple?: 2 | 3;
  /** The "first packet" is the first client chunk truncated to this (one Internet MSS). */
  readonly mss?: number;
  /** Ex5's upper bound on the TLS record's third byte: 0x09 (paper), 0x0f (artifact). */
  readonly tlsMinorMax?: number;
  /** Server addresses the rule applies to ("*", exact IPs, IPv4 CIDR). */
  readonly targetRanges?: readonly string[];
}

/** The five exemption statistics of Algorithm 1 for one payload. */
export interface FetAnalysis {
  readonly len: number;
  readonly popcount: number;
  readonly first6: boolean;
  readonly printablePrefix: number;
  readonly frac: number;
  readonly run: number;
  readonly tlsHttp: string | null;
  /** Which exemptions hold, in order Ex1..Ex5 (empty: fully encrypted). */
  readonly exemptions: readonly ('Ex1' | 'Ex2' | 'Ex3' | 'Ex4' | 'Ex5')[];
}

const HTTP_VERBS = ['GET ', 'PUT ', 'POST ', 'HEAD '].map((v) => Buffer.from(v, 'latin1'));

/** Ex5: TLS record header (0x16/0x17, 0x03, minor ≤ bound) or one of four HTTP verbs + space. */
export function tlsHttpFingerprint(pkt: Uint8Array, tlsMinorMax = 0x09): string | null {
  if (
    pkt.length >= 3 &&
    (pkt[0] === 0x16 || pkt[0] === 0x17) &&
    pkt[1] === 0x03 &&
    (pkt[2] ?? 0xff) <= tlsMinorMax
  ) {
    return `tls:${Buffer.from(pkt.subarray(0, 3)).toString('hex')}`;
  }
  for (const v of HTTP_VERBS) {
    if (pkt.length >= v.length && v.equals(pkt.subarray(0, v.length))) {
      return `http:${v.toString('latin1').trim()}`;
    }
  }
  return null;
}

/**
 * Algorithm 1 of Wu et al. (USENIX Security 2023), with the artifact's exact comparisons: Ex1
 * popcount/byte ≤ 3.4 or ≥ 4.6 (inclusive), Ex2 ≥ 6 printable leading bytes, Ex3 printable
 * fraction > 0.5 (strict), Ex4 a printable run > 20 (strict), Ex5 TLS/HTTP fingerprint.
 */
export function analyseFet(pkt: Uint8Array, tlsMinorMax = 0x09): FetAnalysis {
  const popcount = popcountPerByte(pkt);
  const printablePrefix = printablePrefixLength(pkt);
  const frac = printableFraction(pkt);
  const run = longestPrintableRun(pkt);
  const tlsHttp = tlsHttpFingerprint(pkt, tlsMinorMax);
  const exemptions: FetAnalysis['exemptions'][number][] = [];
  if (popcount <= 3.4 || popcount >= 4.6) exemptions.push('Ex1');
  if (printablePrefix >= 6) exemptions.push('Ex2');
  if (frac > 0.5) exemptions.push('Ex3');
  if (run > 20) exemptions.push('Ex4');
  if (tlsHttp !== null) exemptions.push('Ex5');
  return {
    len: pkt.length,
    popcount,
    first6: printablePrefix >= 6,
    printablePrefix,
    frac,
    run,
    tlsHttp,
    exemptions,
  };
}

/** The GFW's dynamic blocking of fully encrypted traffic, 2021-11 to 2023-03. */
export function gfwFet2023(opts: FetOptions = {}): CensorModel {
  const name = 'gfw-fet-2023';
  const p = opts.p ?? 0.263;
  const residualMs = opts.residualMs ?? 180_000;
  const tuple = opts.tuple ?? 3;
  const mss = opts.mss ?? 1448;
  const tlsMinorMax = opts.tlsMinorMax ?? 0x09;
  const targets = opts.targetRanges ?? ['*'];
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);

  return {
    name,
    onFlowStart(flow, ctx) {
      if (!ipInAny(targets, flow.serverIp)) return undefined;
      const key = ResidualTable.key(tuple, flow.clientIp, flow.serverIp, flow.serverPort);
      const e = ctx.residual.get(`${name}|${key}`);
      if (e === undefined) return undefined;
      return {
        model: name,
        rule: 'residual',
        verdict: 'block',
        action: 'dropSyn',
        evidence: {
          tuple: key,
          remainingMs: Math.round(e.expiresAt - ctx.clock.now()),
          since: e.reason,
        },
      };
    },
    inspect(flow, ctx) {
      if (!ipInAny(targets, flow.serverIp)) return undefined;
      let seen = false;
      return {
        onChunk(chunk) {
          if (seen || chunk.dir !== 'c2s' || chunk.bytes.length === 0) return undefined;
          seen = true;
          const pkt = chunk.bytes.subarray(0, mss);
          const a = analyseFet(pkt, tlsMinorMax);
          const evidence = {
            len: a.len,
            popcount: round(a.popcount),
            first6: a.first6,
            frac: round(a.frac),
            run: a.run,
            tlsHttp: a.tlsHttp ?? false,
            exemptions: a.exemptions,
          };
          if (a.exemptions.length > 0) {
            const d: Decision = {
              model: name,
              rule: a.exemptions[0]!,
              verdict: 'allow',
              action: 'none',
              evidence,
            };
            return d;
          }
          const draw = ctx.rng(flow, name).next();
          if (draw >= p) {
            return {
              model: name,
              rule: 'fullyEncrypted',
              verdict: 'flag',
              action: 'flag',
              evidence: { ...evidence, spared: true },
              p,
              rngDraw: round(draw, 6),
            };
          }
          const key = ResidualTable.key(tuple, flow.clientIp, flow.serverIp, flow.serverPort);
          ctx.residual.add(`${name}|${key}`, residualMs, name, `flow ${flow.id}`);
          return {
            model: name,
            rule: 'fullyEncrypted',
            verdict: 'block',
            action: 'dropRest',
            evidence: { ...evidence, residual: { tuple: key, ms: residualMs } },
            p,
            rngDraw: round(draw, 6),
          };
        },
      };
    },
  };
}

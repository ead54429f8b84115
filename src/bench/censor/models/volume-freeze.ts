import { ipInAny } from '../ip-match.js';
import type { CensorModel } from '../types.js';

/** Parameters of `volume-freeze` (censors.md §6.2). */
export interface VolumeFreezeOptions {
  /** Server→client bytes allowed before the freeze (16384; the kz2016 rumour: 51200). */
  readonly threshold?: number;
  /** Server addresses the rule applies to. */
  readonly suspiciousRanges?: readonly string[];
  /** Only flows whose first client bytes are a TLS record. */
  readonly tlsOnly?: boolean;
}

/**
 * Russia 2025 (TSPU: TCP+TLS to foreign datacenters frozen after ~15-20 KB server→client) and the
 * Kazakhstan 2016 "obfs4 blocked after ~50 KB" rumour: silently stop forwarding server→client
 * once a flow has carried `threshold` bytes that way. No RST.
 */
export function volumeFreeze(opts: VolumeFreezeOptions = {}): CensorModel {
  const name = 'volume-freeze';
  const threshold = opts.threshold ?? 16384;
  const ranges = opts.suspiciousRanges ?? ['*'];
  const tlsOnly = opts.tlsOnly ?? false;
  return {
    name,
    inspect(flow) {
      if (!ipInAny(ranges, flow.serverIp)) return undefined;
      let s2c = 0;
      let tls: boolean | undefined;
      let frozen = false;
      return {
        onChunk(chunk) {
          if (chunk.dir === 'c2s') {
            if (tls === undefined && chunk.bytes.length > 0) tls = chunk.bytes[0] === 0x16;
            return undefined;
          }
          if (frozen || (tlsOnly && tls !== true)) return undefined;
          const before = s2c;
          s2c += chunk.bytes.length;
          if (s2c <= threshold) return undefined;
          frozen = true;
          return {
            model: name,
            rule: 'threshold',
            verdict: 'block',
            action: 'freezeS2C',
            forwardBytes: threshold - before,
            evidence: { s2cBytes: s2c, threshold, atMs: Math.round(chunk.t) },
          };
        },
      };
    },
  };
}

import { round, shannonEntropy } from '../stats.js';
import type { CensorModel } from '../types.js';

/** Parameters of `entropy-first-packet` (censors.md §6.2). */
export interface EntropyOptions {
  /** Payloads shorter than this pass (149: obfs4's minimum client handshake, Wang et al.). */
  readonly minLen?: number;
  /** Only the first bytes of the first client chunk are examined. */
  readonly maxBytes?: number;
  /** Slack below the expected entropy of uniform bytes. */
  readonly margin?: number;
  /** dropRest blocks; flagForProbe and flagOnly only flag (score mode for false positives). */
  readonly action?: 'dropRest' | 'flagForProbe' | 'flagOnly';
}

/**
 * The entropy threshold for N examined bytes: 8 − 184/N − margin, where 184 ≈ 255/(2 ln 2) is the
 * Miller–Madow bias of the plug-in entropy estimate of a uniform byte source.
 */
export function entropyThreshold(n: number, margin = 0.3): number {
  return 8 - 184 / n - margin;
}

/**
 * A first-packet length-and-entropy classifier modelled on Wang et al. (CCS 2015): high-entropy
 * first payloads of at least 149 bytes look like obfs3/obfs4. Not a re-implementation of their
 * KS test; a threshold calibrated in censors.md §4.2.
 */
export function entropyFirstPacket(opts: EntropyOptions = {}): CensorModel {
  const name = 'entropy-first-packet';
  const minLen = opts.minLen ?? 149;
  const maxBytes = opts.maxBytes ?? 2048;
  const margin = opts.margin ?? 0.3;
  const action = opts.action ?? 'dropRest';
  return {
    name,
    inspect() {
      let seen = false;
      return {
        onChunk(chunk) {
          if (seen || chunk.dir !== 'c2s' || chunk.bytes.length === 0) return undefined;
          seen = true;
          const b = chunk.bytes.subarray(0, maxBytes);
          const h = shannonEntropy(b);
          const threshold = entropyThreshold(b.length, margin);
          const evidence = {
            len: b.length,
            entropy: round(h),
            threshold: round(threshold),
            minLen,
          };
          if (b.length < minLen) {
            return { model: name, rule: 'short', verdict: 'allow', action: 'none', evidence };
          }
          if (h < threshold) {
            return { model: name, rule: 'lowEntropy', verdict: 'allow', action: 'none', evidence };
          }
          if (action === 'dropRest') {
            return {
              model: name,
              rule: 'highEntropy',
              verdict: 'block',
              action: 'dropRest',
              evidence,
            };
          }
          return { model: name, rule: 'highEntropy', verdict: 'flag', action: 'flag', evidence };
        },
      };
    },
  };
}

import type { ProbeResult } from './types.js';

/** One conformance requirement of censors.md §3.5 (P1–P6). */
export interface Requirement {
  /** null: the probe set did not contain what the requirement needs. */
  readonly pass: boolean | null;
  readonly detail: string;
}

export interface ProbeVerdict {
  /** P: nothing tells it apart; S: a weak, score-only fingerprint; D: detected. */
  readonly code: 'P' | 'S' | 'D';
  readonly distinguishable: boolean;
  readonly reasons: readonly string[];
  readonly conformance: Readonly<Record<'P1' | 'P2' | 'P3' | 'P4' | 'P5' | 'P6', Requirement>>;
  readonly summary: {
    readonly probes: number;
    readonly answered: number;
    readonly fin: number;
    readonly rst: number;
    readonly open: number;
    readonly closeMs: { readonly min: number; readonly max: number } | null;
  };
}

export interface VerdictOptions {
  /** Close times within this spread count as equal (±1 s in real time). */
  readonly toleranceMs?: number;
  /** The window in which a uniform close time is the obfs4 silent-server fingerprint (scaled). */
  readonly silentWindowMs?: readonly [number, number];
}

function startsWithText(hex: string, prefix: string): boolean {
  return Buffer.from(hex, 'hex').subarray(0, prefix.length).toString('latin1') === prefix;
}

const UNAUTH = (r: ProbeResult): boolean =>
  r.group !== 'O4k' && r.group !== 'T2' && r.id !== 'T1-cover';

/**
 * The active prober's classifier (censors.md §6.2 `active-prober`): an endpoint is a proxy if a
 * protocol confirmation succeeds, if an unauthenticated probe gets bytes from something that is
 * not a recognisable service, or if its close behaviour depends on the probe (threshold). A silent
 * server that closes every probe at the same time is a score-only fingerprint.
 */
export function judge(results: readonly ProbeResult[], o: VerdictOptions = {}): ProbeVerdict {
  const tol = o.toleranceMs ?? 1000;
  const reasons: string[] = [];
  const by = (g: string): ProbeResult[] => results.filter((r) => r.group === g);

  // Rule 1: protocol confirmations.
  for (const r of results) {
    if (
      r.confirmed &&
      (r.group === 'T2' || r.group === 'O2' || r.group === 'O3' || r.group === 'O4k')
    ) {
      reasons.push(
        `${r.id}: ${r.group === 'O4k' ? 'bridge-line handshake completed' : 'protocol confirmed'} (${r.detail ?? ''})`.trim(),
      );
    }
  }
  // Rule 2: bytes to an unauthenticated probe, not from a recognisable service.
  const cover = results.some((r) => r.id === 'T1-cover' && r.confirmed);
  const service =
    cover ||
    results.some(
      (r) => startsWithText(r.responseHead, 'HTTP/1.') || startsWithText(r.responseHead, 'SSH-'),
    );
  const answered = results.filter((r) => UNAUTH(r) && r.bytesReceived > 0);
  if (answered.length > 0 && !service) {
    reasons.push(
      `answered ${answered.length} unauthenticated probe(s) (${answered
        .slice(0, 5)
        .map((r) => `${r.id}: ${r.bytesReceived} B`)
        .join(', ')}) and is not a recognisable service`,
    );
  }
  // Rule 3: among silent probes, the way the connection ends depends on the probe. A recognisable
  // service reacts to different inputs differently anyway; the rule is for silent endpoints.
  const silent = results.filter(
    (r) => UNAUTH(r) && r.bytesReceived === 0 && r.outcome !== 'refused' && r.outcome !== 'error',
  );
  const kinds = new Set(silent.map((r) => r.outcome));
  const closed = silent.filter((r) => r.closeMs !== undefined);
  const times = closed.map((r) => r.closeMs!);
  const minT = times.length ? Math.min(...times) : 0;
  const maxT = times.length ? Math.max(...times) : 0;
  if (service) {
    // not applied
  } else if (kinds.size > 1) {
    const ex = [...kinds].map((k) => `${k}: ${silent.find((r) => r.outcome === k)!.id}`).join(', ');
    reasons.push(`close type depends on the probe (${ex})`);
  } else if (times.length > 1 && maxT - minT > tol) {
    const a = closed.find((r) => r.closeMs === minT)!;
    const b = closed.find((r) => r.closeMs === maxT)!;
    reasons.push(`close time depends on the probe (${a.id} at ${minT} ms, ${b.id} at ${maxT} ms)`);
  }
  const distinguishable = reasons.length > 0;
  // Rule 4: silent everywhere, one close time for all, inside the obfs4 window: score only.
  let score = false;
  if (
    !distinguishable &&
    !service &&
    silent.length > 0 &&
    closed.length === silent.length &&
    kinds.size === 1 &&
    kinds.has('fin')
  ) {
    const [lo, hi] = o.silentWindowMs ?? [30_000, 90_000];
    score = minT >= lo - tol && maxT < hi + tol;
    if (score)
      reasons.push(`score only: silent, and every probe closed with FIN at ${minT}–${maxT} ms`);
  }

  // Conformance (for our own servers).
  const unauth = results.filter(UNAUTH);
  const p1Bad = unauth.filter((r) => r.bytesReceived > 0);
  const rsts = unauth.filter((r) => r.outcome === 'rst');
  const rn = by('Rn');
  const rx = by('Rx');
  const o4x = by('O4x');
  const o4k = by('O4k');
  const rnTimes = rn.filter((r) => r.closeMs !== undefined).map((r) => r.closeMs!);
  const sameAsRn = (xs: ProbeResult[]): boolean =>
    xs.every(
      (r) =>
        r.bytesReceived === 0 &&
        r.outcome === (rn[0]?.outcome ?? r.outcome) &&
        (r.closeMs === undefined ||
          rnTimes.length === 0 ||
          (r.closeMs >= Math.min(...rnTimes) - tol && r.closeMs <= Math.max(...rnTimes) + tol)),
    );
  const conformance: ProbeVerdict['conformance'] = {
    P1: {
      pass: p1Bad.length === 0,
      detail: p1Bad.length
        ? `bytes sent to ${p1Bad.map((r) => r.id).join(', ')}`
        : `0 bytes to all ${unauth.length} unauthenticated probes`,
    },
    P2: {
      pass: kinds.size <= 1 && (times.length < 2 || maxT - minT <= tol),
      detail:
        times.length > 0
          ? `${[...kinds].join('/')}; close at ${minT}–${maxT} ms after connect (tolerance ${tol} ms)`
          : `no probe closed within the budget (${[...kinds].join('/')})`,
    },
    P3: {
      pass: rx.length ? sameAsRn(rx) : null,
      detail: rx.length
        ? rx
            .map(
              (r) =>
                `${r.id}: ${r.outcome}${r.closeMs === undefined ? '' : ` at ${r.closeMs} ms`}, ${r.bytesReceived} B`,
            )
            .join('; ')
        : 'no recorded session to replay',
    },
    P4: {
      pass: rsts.length === 0,
      detail: rsts.length ? `RST on ${rsts.map((r) => r.id).join(', ')}` : 'no RST on any probe',
    },
    P5: {
      pass: o4x.length ? sameAsRn(o4x) : null,
      detail: o4x.length
        ? o4x
            .map(
              (r) => `${r.id}: ${r.outcome}${r.closeMs === undefined ? '' : ` at ${r.closeMs} ms`}`,
            )
            .join('; ')
        : 'no O4x probe',
    },
    P6: {
      pass: o4k.length ? o4k.every((r) => r.confirmed === true) : null,
      detail: o4k.length ? (o4k[0]!.detail ?? '') : 'no bridge line given',
    },
  };
  return {
    code: distinguishable ? 'D' : score ? 'S' : 'P',
    distinguishable,
    reasons,
    conformance,
    summary: {
      probes: results.length,
      answered: answered.length,
      fin: results.filter((r) => r.outcome === 'fin').length,
      rst: results.filter((r) => r.outcome === 'rst').length,
      open: results.filter((r) => r.outcome === 'open').length,
      closeMs: times.length ? { min: minT, max: maxT } : null,
    },
  };
}

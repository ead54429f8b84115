import type { Action, Decision, Direction, FlowInfo, VerdictKind } from './types.js';

/** One line of the verdict log: a decision, the flow it was about and when it was made. */
export interface VerdictRecord {
  /** Wall-clock time of the decision, ISO 8601. */
  readonly t: string;
  /** Milliseconds since the flow started. */
  readonly flowMs: number;
  readonly flowId: number;
  readonly flow: string;
  readonly model: string;
  readonly rule: string;
  /** The direction of the chunk that led to the decision, or "start" for flow-start rules. */
  readonly direction: Direction | 'start' | 'probe';
  readonly verdict: VerdictKind;
  readonly action: Action;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly p?: number;
  readonly rngDraw?: number;
}

/**
 * The JSON verdict log: every decision of every model, with its evidence, so that each cell of
 * the matrix can be explained ("blocked because popcount 4.01, no printable prefix, ...").
 * Records are kept in memory (bounded) and optionally streamed as JSON lines to a sink.
 */
export class VerdictLog {
  readonly #records: VerdictRecord[] = [];
  readonly #sink: ((line: string) => void) | undefined;
  readonly #max: number;
  #dropped = 0;

  constructor(opts: { sink?: (line: string) => void; maxRecords?: number } = {}) {
    this.#sink = opts.sink;
    this.#max = opts.maxRecords ?? 100_000;
  }

  add(
    flow: FlowInfo,
    decision: Decision,
    direction: VerdictRecord['direction'],
    flowMs: number,
  ): VerdictRecord {
    const rec: VerdictRecord = {
      t: new Date().toISOString(),
      flowMs: Math.round(flowMs * 1000) / 1000,
      flowId: flow.id,
      flow: `${flow.clientIp}:${flow.clientPort} -> ${flow.serverIp}:${flow.serverPort}`,
      model: decision.model,
      rule: decision.rule,
      direction,
      verdict: decision.verdict,
      action: decision.action,
      evidence: decision.evidence,
      ...(decision.p === undefined ? {} : { p: decision.p }),
      ...(decision.rngDraw === undefined ? {} : { rngDraw: decision.rngDraw }),
    };
    if (this.#records.length < this.#max) this.#records.push(rec);
    else this.#dropped++;
    this.#sink?.(JSON.stringify(rec));
    return rec;
  }

  records(): readonly VerdictRecord[] {
    return this.#records;
  }

  /** Records about one flow. */
  forFlow(flowId: number): VerdictRecord[] {
    return this.#records.filter((r) => r.flowId === flowId);
  }

  /** How many records did not fit in memory (they still went to the sink). */
  get dropped(): number {
    return this.#dropped;
  }

  toJsonLines(): string {
    return (
      this.#records.map((r) => JSON.stringify(r)).join('\n') + (this.#records.length ? '\n' : '')
    );
  }
}

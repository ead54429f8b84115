import { Prng } from './prng.js';
import { systemClock, type Clock } from './clock.js';
import { Blocklist, ResidualTable } from './tables.js';
import { VerdictLog, type VerdictRecord } from './verdict-log.js';
import {
  asDecisions,
  type CensorContext,
  type CensorModel,
  type Chunk,
  type Decision,
  type FlowInfo,
  type FlowInspector,
} from './types.js';

export interface PipelineOptions {
  /** Seed for every flow's PRNG. */
  seed?: string | number;
  clock?: Clock;
  log?: VerdictLog;
}

/** How the middlebox must treat a new flow. */
export type FlowStart =
  | { readonly kind: 'connect'; readonly nullRouteS2C: boolean }
  | { readonly kind: 'dropSyn'; readonly decision: Decision }
  | { readonly kind: 'rst'; readonly decision: Decision };

/** What to do with one chunk. */
export interface ChunkResult {
  /** Bytes to forward (possibly a prefix of the chunk), or null to discard it. */
  readonly forward: Uint8Array | null;
  /** Reset both sockets now. */
  readonly reset: boolean;
  /** A model asked to take the flow over (MITM); the chunk has not been forwarded. */
  readonly intercept?: { readonly model: CensorModel; readonly decision: Decision };
  readonly decisions: readonly Decision[];
}

/**
 * A chain of censor models over one shared context (clock, PRNG seed, residual table, blocklist,
 * verdict log). Sans-IO: the middlebox asks it what to do with each new flow and each chunk.
 */
export class Pipeline {
  readonly models: readonly CensorModel[];
  readonly ctx: CensorContext;
  readonly log: VerdictLog;
  readonly #seed: string | number;

  constructor(models: readonly CensorModel[], opts: PipelineOptions = {}) {
    const names = new Set<string>();
    for (const m of models) {
      if (names.has(m.name)) throw new TypeError(`censor model ${m.name} appears twice`);
      names.add(m.name);
    }
    this.models = models;
    this.#seed = opts.seed ?? 1;
    const clock = opts.clock ?? systemClock();
    const seed = this.#seed;
    this.ctx = {
      record: (flow, d, direction) => {
        this.record(flow, d, direction, clock.now() - flow.startedAt);
      },
      clock,
      rng: (flow: FlowInfo, stream: string) => new Prng(seed, `flow:${flow.id}:${stream}`),
      residual: new ResidualTable(clock),
      blocklist: new Blocklist(clock),
    };
    this.log = opts.log ?? new VerdictLog();
  }

  /** Runs the flow-start rules (addresses, residual tables) and sets up the per-flow state. */
  startFlow(flow: FlowInfo): { start: FlowStart; flow: FlowPipeline } {
    let start: FlowStart = { kind: 'connect', nullRouteS2C: false };
    for (const m of this.models) {
      const d = m.onFlowStart?.(flow, this.ctx);
      if (d === undefined) continue;
      this.record(flow, d, 'start', 0);
      if (start.kind !== 'connect') continue;
      if (d.action === 'dropSyn') start = { kind: 'dropSyn', decision: d };
      else if (d.action === 'rst') start = { kind: 'rst', decision: d };
      else if (d.action === 'nullRouteS2C' || d.action === 'dropS2C' || d.action === 'freezeS2C') {
        start = { kind: 'connect', nullRouteS2C: true };
      }
    }
    const inspectors: Array<[CensorModel, FlowInspector]> = [];
    if (start.kind === 'connect') {
      for (const m of this.models) {
        const ins = m.inspect?.(flow, this.ctx);
        if (ins) inspectors.push([m, ins]);
      }
    }
    const fp = new FlowPipeline(this, flow, inspectors);
    if (start.kind === 'connect' && start.nullRouteS2C) fp.s2cOpen = false;
    return { start, flow: fp };
  }

  /** Logs a decision and lets every other model observe it. */
  record(
    flow: FlowInfo,
    d: Decision,
    direction: VerdictRecord['direction'],
    flowMs: number,
  ): VerdictRecord {
    const rec = this.log.add(flow, d, direction, flowMs);
    for (const m of this.models) {
      if (m.name !== d.model) m.observe?.(flow, d, this.ctx);
    }
    return rec;
  }

  async close(): Promise<void> {
    for (const m of this.models) await m.close?.();
  }
}

/** One flow's path through the pipeline: which directions are still forwarded. */
export class FlowPipeline {
  readonly flow: FlowInfo;
  c2sOpen = true;
  s2cOpen = true;
  reset = false;
  intercepted = false;
  readonly #pipeline: Pipeline;
  readonly #inspectors: ReadonlyArray<readonly [CensorModel, FlowInspector]>;

  constructor(
    pipeline: Pipeline,
    flow: FlowInfo,
    inspectors: ReadonlyArray<readonly [CensorModel, FlowInspector]>,
  ) {
    this.#pipeline = pipeline;
    this.flow = flow;
    this.#inspectors = inspectors;
  }

  /** Whether chunks in `dir` are still forwarded. */
  isOpen(dir: Chunk['dir']): boolean {
    return !this.reset && !this.intercepted && (dir === 'c2s' ? this.c2sOpen : this.s2cOpen);
  }

  /** Runs every model over the chunk and says what the middlebox forwards. */
  onChunk(chunk: Chunk): ChunkResult {
    if (!this.isOpen(chunk.dir)) return { forward: null, reset: false, decisions: [] };
    const decisions: Decision[] = [];
    let forward: Uint8Array | null = chunk.bytes;
    let intercept: ChunkResult['intercept'];
    for (const [model, ins] of this.#inspectors) {
      for (const d of asDecisions(ins.onChunk(chunk))) {
        decisions.push(d);
        this.#pipeline.record(this.flow, d, chunk.dir, chunk.t);
        switch (d.action) {
          case 'none':
          case 'flag':
          case 'dropSyn':
            break;
          case 'dropRest':
            this.c2sOpen = false;
            this.s2cOpen = false;
            forward = null;
            break;
          case 'dropC2S':
            this.c2sOpen = false;
            if (chunk.dir === 'c2s' || d.dropMatched) forward = null;
            break;
          case 'dropS2C':
          case 'nullRouteS2C':
            this.s2cOpen = false;
            if (chunk.dir === 's2c') forward = null;
            break;
          case 'freezeS2C':
            this.s2cOpen = false;
            if (chunk.dir === 's2c' && forward !== null) {
              const n = Math.max(0, Math.min(d.forwardBytes ?? 0, forward.length));
              forward = n > 0 ? forward.subarray(0, n) : null;
            }
            break;
          case 'rst':
            this.reset = true;
            forward = null;
            break;
          case 'intercept':
            if (intercept === undefined && !this.reset) intercept = { model, decision: d };
            break;
        }
      }
    }
    if (this.reset) return { forward: null, reset: true, decisions };
    if (intercept !== undefined && this.c2sOpen && this.s2cOpen) {
      this.intercepted = true;
      return { forward: null, reset: false, intercept, decisions };
    }
    return { forward, reset: false, decisions };
  }
}

/**
 * The vocabulary every censor model shares. Models are sans-IO: they see a flow's identity when it
 * starts and then its byte chunks with direction and time, and they answer with decisions. The
 * middlebox (middlebox.ts) is the only part that touches sockets and carries the decisions out.
 */
import type { Socket } from 'node:net';
import type { Prng } from './prng.js';
import type { Clock } from './clock.js';
import type { Blocklist, ResidualTable } from './tables.js';

/** Client→server or server→client, seen from the censor's position on the path. */
export type Direction = 'c2s' | 's2c';

/** One read from one side of the relay: what a passive observer on the wire would see. */
export interface Chunk {
  readonly dir: Direction;
  /** Milliseconds since the flow started (unscaled wall time). */
  readonly t: number;
  readonly bytes: Uint8Array;
}

/** A TCP flow as the censor sees it. Addresses are labels: tests may simulate other clients. */
export interface FlowInfo {
  /** Unique per middlebox, increasing from 1. */
  readonly id: number;
  readonly clientIp: string;
  readonly clientPort: number;
  readonly serverIp: string;
  readonly serverPort: number;
  /** Clock time when the flow was accepted. */
  readonly startedAt: number;
}

/**
 * What the middlebox does to a flow. Every action except `none`/`flag` is sticky: once a flow is
 * dropped it stays dropped.
 *
 * - `dropSyn`: only at flow start; accept, never connect upstream, never write (a dropped SYN, as
 *   well as a userspace relay can show it: the client sees a connection, then a stall).
 * - `dropRest`: this chunk and everything after it, both directions.
 * - `dropC2S` / `dropS2C`: one direction only, from this chunk on.
 * - `freezeS2C`: like dropS2C, after forwarding `forwardBytes` of the current chunk.
 * - `nullRouteS2C`: server→client is discarded (the GFW's null routing of a blocked endpoint).
 * - `rst`: reset both sockets.
 * - `intercept`: hand the flow to the model's interceptor (TLS man-in-the-middle).
 */
export type Action =
  | 'none'
  | 'flag'
  | 'dropSyn'
  | 'dropRest'
  | 'dropC2S'
  | 'dropS2C'
  | 'freezeS2C'
  | 'nullRouteS2C'
  | 'rst'
  | 'intercept';

export type VerdictKind = 'allow' | 'flag' | 'block';

/** A model's conclusion about a flow, with the evidence that led to it. */
export interface Decision {
  readonly model: string;
  /** Which rule of the model decided, e.g. "Ex5" or "torCertNames". */
  readonly rule: string;
  readonly verdict: VerdictKind;
  readonly action: Action;
  readonly evidence: Readonly<Record<string, unknown>>;
  /** The block probability the rule applied, for probabilistic rules. */
  readonly p?: number;
  /** The flow PRNG's draw compared against `p`. */
  readonly rngDraw?: number;
  /** freezeS2C: how many bytes of the current chunk still pass. */
  readonly forwardBytes?: number;
  /** kz tor-serverhello `dropMatched`: the chunk that matched is not forwarded either. */
  readonly dropMatched?: boolean;
}

/** Shared state and services a model may use; one per middlebox. */
export interface CensorContext {
  readonly clock: Clock;
  /**
   * A PRNG seeded from (seed, flow id, stream): reruns draw the same numbers for the same flow,
   * and two models (two streams) never share draws. Each call starts the stream afresh.
   */
  rng(flow: FlowInfo, stream: string): Prng;
  readonly residual: ResidualTable;
  readonly blocklist: Blocklist;
  /** Logs a decision made outside a chunk (the active prober's verdict after probing). */
  record(flow: FlowInfo, d: Decision, direction: 'probe'): void;
}

/** Per-flow state of one model. */
export interface FlowInspector {
  /** Called for every chunk until the flow is dead; returns zero or more decisions. */
  onChunk(chunk: Chunk): Decision | readonly Decision[] | undefined;
}

/** A censor model. Instances keep cross-flow state (tables) through the context. */
export interface CensorModel {
  readonly name: string;
  /** Checked before the middlebox connects upstream: address and residual rules. */
  onFlowStart?(flow: FlowInfo, ctx: CensorContext): Decision | undefined;
  /** Creates the per-flow inspector, or undefined when the model has nothing to look at. */
  inspect?(flow: FlowInfo, ctx: CensorContext): FlowInspector | undefined;
  /** Sees every decision of every model (the active prober listens for flags). */
  observe?(flow: FlowInfo, decision: Decision, ctx: CensorContext): void;
  /** Takes over a flow after one of this model's decisions asked for `intercept`. */
  intercept?(handoff: InterceptHandoff): void;
  /** Releases timers and pending work. */
  close?(): Promise<void> | void;
}

/** Normalises an inspector's return value. */
export function asDecisions(d: Decision | readonly Decision[] | undefined): readonly Decision[] {
  if (d === undefined) return [];
  return Array.isArray(d) ? (d as readonly Decision[]) : [d as Decision];
}

/**
 * A flow handed to a model that terminates it itself (the TLS man-in-the-middle). The client
 * socket is paused; `head` is the chunk that triggered the interception (not forwarded).
 */
export interface InterceptHandoff {
  readonly flow: FlowInfo;
  readonly client: Socket;
  readonly head: Uint8Array;
  /** Where the middlebox would have connected. */
  readonly target: { readonly host: string; readonly port: number };
  readonly decision: Decision;
  /** Milliseconds since the flow started. */
  elapsedMs(): number;
  /** Logs a further decision about this flow (e.g. the plaintext the interceptor saw). */
  record(d: Decision, direction: Direction): void;
}

/**
 * Traffic under test: the rows of the transport × censor matrix. Each kind starts its own server
 * on loopback (the middlebox's upstream) and makes client sessions through a given address.
 */
import type { PeerWatch } from './peers.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface AttemptOptions {
  /** Source address for the client socket (127.x.y.z): distinct simulated clients. */
  readonly localAddress?: string;
  /** A session that has not completed by then counts as failed (a stall). */
  readonly timeoutMs: number;
  /** Application bytes to move through the session (echoed back by the server). */
  readonly bytes?: number;
}

/** How far a session got. */
export type AttemptStage = 'connect' | 'handshake' | 'data' | 'done';

export interface AttemptResult {
  readonly ok: boolean;
  /** The stage that failed, or 'done'. */
  readonly stage: AttemptStage;
  readonly ms: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly error?: string;
}

export interface RunningTraffic {
  /** The server under test. */
  readonly target: Endpoint;
  /** One client session through `via` (the middlebox). */
  attempt(via: Endpoint, opts: AttemptOptions): Promise<AttemptResult>;
  /**
   * A bridge-line-aware prober's positive control: a complete client handshake against `target`
   * using the secret a client would have (obfs4: the bridge line). Undefined when the traffic has
   * no such secret.
   */
  readonly authenticatedProbe?: (target: Endpoint, signal: AbortSignal) => Promise<boolean>;
  /** The bridge line or equivalent, for reports. */
  readonly description?: string;
  /**
   * The processes this row depends on, for rows whose server or client can crash on its own (a
   * PT process): the matrix remeasures a cell during which one went down, after a restart.
   * `target` may change with a restart (a new port); the identity (bridge line) stays.
   */
  readonly peers?: PeerWatch;
  close(): Promise<void>;
}

/** What the bench shares with traffic it starts. */
export interface TrafficEnv {
  /** PEM of the bench's national root, for rows whose client trusts it (the 2019 advice). */
  readonly nationalRootPem?: string;
}

export interface TrafficKind {
  /** Stable id used on the command line and in reports, e.g. "obfs4-iat0". */
  readonly id: string;
  readonly label: string;
  readonly group: 'transport' | 'tor' | 'control' | 'reference';
  /** Only run when asked for by name (slow rows: real tor starts a process per session). */
  readonly optIn?: boolean;
  /** Sessions of this row need at least this long (a real tor client takes seconds to start). */
  readonly minTimeoutMs?: number;
  /** Caps the flows of probabilistic cells (each session of a real tor is a process). */
  readonly maxFlows?: number;
  /** True, or why it cannot run here (a missing binary). */
  available(): Promise<true | string>;
  start(env?: TrafficEnv): Promise<RunningTraffic>;
}

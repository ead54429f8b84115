/**
 * Messages between a server's primary process and its workers (Node IPC, advanced
 * serialization, so byte arrays travel as they are). The primary accepts every connection and
 * hands the socket to a worker; it owns the replay filters and the only stdout writer.
 */
import type { StatsSnapshot } from '../tunnel/stats.js';

/** A standalone worker's log: the primary's settings, so both write the same file (null: off). */
export type WorkerLog = {
  readonly level: string;
  readonly destination: string;
  readonly unsafe: boolean;
} | null;

/** What a worker serves; it builds its transports' factories from this. */
export type WorkerPlan =
  | {
      readonly mode: 'managed';
      /** The managed-mode flags; the worker reads TOR_PT_* from the environment it inherited. */
      readonly argv: readonly string[];
      readonly metrics: boolean;
    }
  | {
      readonly mode: 'standalone';
      readonly transport: string;
      readonly stateDir: string;
      readonly options: ReadonlyArray<readonly [string, string]>;
      /** A ForwardTarget (plain data). */
      readonly forward: unknown;
      readonly log: WorkerLog;
      readonly connectTimeoutMs?: number;
    };

export type ToWorker =
  | { readonly t: 'init'; readonly plan: WorkerPlan; readonly index: number }
  /** Sent with the accepted socket as the handle. */
  | { readonly t: 'conn'; readonly transport: string }
  | { readonly t: 'replay-result'; readonly id: number; readonly seen: boolean }
  | { readonly t: 'stats'; readonly id: number }
  /** The primary reloaded (SIGHUP): reopen the log with these settings. */
  | { readonly t: 'log-settings'; readonly log: WorkerLog };

export type FromWorker =
  | { readonly t: 'ready' }
  /** The worker could not start (bad state, ...): the primary stops restarting it. */
  | { readonly t: 'fatal'; readonly message: string }
  | {
      readonly t: 'replay';
      readonly id: number;
      readonly transport: string;
      readonly nowMs: number;
      readonly tag: Uint8Array;
    }
  /** A managed-proxy LOG line for tor (the primary writes it, rate-limited). */
  | {
      readonly t: 'log';
      readonly severity: 'warning' | 'error' | 'notice';
      readonly message: string;
    }
  | {
      readonly t: 'stats-result';
      readonly id: number;
      readonly stats: ReadonlyArray<readonly [string, StatsSnapshot]>;
    };

/**
 * Everything an obfs4 connection needs beyond the bridge identity: the Elligator2 session key,
 * the sans-IO handshake, the per-bridge distributions and the framed stream. transport.ts
 * imports this module with the first connection, so that a bridge or a client tor starts holds
 * none of it (libsodium, the WebAssembly field and DRBG code, node:crypto, node:stream) until
 * someone connects.
 */
import type { Duplex } from 'node:stream';
import { generateSessionKeypair, type SessionKeypair } from '../../crypto/elligator2.js';
import { closeDelaySeconds } from '../../crypto/probdist.js';
import type { RandomSource } from '../../crypto/random.js';
import type { SharedReplayFilter } from '../types.js';
import { CLIENT_HANDSHAKE_TIMEOUT_MS, type IatMode } from './constants.js';
import { Distributions } from './distributions.js';
import {
  ClientHandshake,
  ServerHandshake,
  type ReplayCheck,
  type ServerIdentity,
} from './handshake.js';
import { DeferredReplayCheck, runClient, runServer } from './session.js';
import type { ServerState } from './state.js';
import type { Obfs4Stream } from './stream.js';

export { generateSessionKeypair };

export interface ConnectionDeps {
  readonly rng?: RandomSource | undefined;
  readonly now?: (() => number) | undefined;
}

export function startClient(
  socket: Duplex,
  p: {
    identity: ServerIdentity;
    iatMode: IatMode;
    sessionKey: SessionKeypair;
    signal: AbortSignal | undefined;
  } & ConnectionDeps,
): Promise<Obfs4Stream> {
  const handshake = new ClientHandshake({
    identity: p.identity,
    sessionKey: p.sessionKey,
    ...(p.rng ? { rng: p.rng } : {}),
    ...(p.now ? { now: p.now } : {}),
  });
  return runClient(socket, {
    handshake,
    iatMode: p.iatMode,
    dists: Distributions.forClient(p.iatMode),
    timeoutMs: CLIENT_HANDSHAKE_TIMEOUT_MS,
    signal: p.signal,
  });
}

/** What a server derives once from its drbg-seed, by its first connection. */
export interface ServerDerived {
  readonly closeDelayMs: number;
  readonly dists: Distributions;
}

export function deriveServer(state: ServerState, closeDelayMs: number | undefined): ServerDerived {
  return {
    // The per-bridge close delay for failed handshakes, derived from the drbg-seed like obfs4proxy's.
    closeDelayMs: closeDelayMs ?? closeDelaySeconds(state.drbgSeed) * 1000,
    dists: Distributions.forServer(state.drbgSeed, state.iatMode),
  };
}

export function startServer(
  socket: Duplex,
  p: {
    state: ServerState;
    derived: ServerDerived;
    /** The factory's own filter, or null in a worker whose checks go to `sharedReplay`. */
    replay: ReplayCheck | null;
    sharedReplay: SharedReplayFilter | undefined;
    timeoutMs: number;
    signal: AbortSignal | undefined;
    now: () => number;
    rng: RandomSource | undefined;
  },
): Promise<Obfs4Stream> {
  // The session key is made before reading anything, so its cost is not visible as latency
  // between the client's request and the response.
  const sessionKey = generateSessionKeypair(p.rng);
  const pending = p.replay === null ? new DeferredReplayCheck() : null;
  const handshake = new ServerHandshake({
    identity: p.state,
    sessionKey,
    replayFilter: pending ?? p.replay!,
    ...(p.rng ? { rng: p.rng } : {}),
    now: p.now,
  });
  return runServer(socket, {
    handshake,
    drbgSeed: p.state.drbgSeed,
    iatMode: p.state.iatMode,
    dists: p.derived.dists,
    timeoutMs: p.timeoutMs,
    closeDeadline: Date.now() + p.timeoutMs + p.derived.closeDelayMs,
    signal: p.signal,
    ...(pending !== null && p.sharedReplay !== undefined
      ? { sharedReplay: { pending, filter: p.sharedReplay } }
      : {}),
  });
}

/**
 * The I/O around the sans-IO handshakes: feeding socket bytes into them with the spec's
 * timeouts, turning the result into an Obfs4Stream, and the server's probe-resistance close.
 */
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { concatBytes } from '../../crypto/bytes.js';
import { ntorKdf } from '../../crypto/ntor.js';
import { channels, type HandshakeEvent } from '../../diagnostics.js';
import { AbortError, HandshakeError, type PtError } from '../../errors.js';
import { holdPending } from '../../net/pending.js';
import { closeAfterDelay, readUntil } from '../handshake-io.js';
import { MAX_HANDSHAKE_LENGTH, PACKET_TYPE_PRNG_SEED, type IatMode } from './constants.js';
import { FrameDecoder, FrameEncoder } from './framing.js';
import type { SharedReplayFilter } from '../types.js';
import type {
  ClientHandshake,
  HandshakeResult,
  ReplayCheck,
  ServerHandshake,
} from './handshake.js';
import { PacketWriter } from './packet.js';
import { Obfs4Stream } from './stream.js';
import type { Distributions } from './distributions.js';

const KDF_HALF = 72;

function publish(role: 'client' | 'server', ok: boolean, started: number, code?: string): void {
  if (!channels.handshake.hasSubscribers) return;
  const ev: HandshakeEvent = { transport: 'obfs4', role, ok, ms: performance.now() - started };
  if (code !== undefined) ev.code = code;
  channels.handshake.publish(ev);
}

export interface ClientSessionParams {
  handshake: ClientHandshake;
  iatMode: IatMode;
  dists: Distributions;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export async function runClient(socket: Duplex, p: ClientSessionParams): Promise<Obfs4Stream> {
  const started = performance.now();
  (socket as Partial<Socket>).setNoDelay?.(true);
  try {
    socket.write(p.handshake.generate());
    let received: Uint8Array = new Uint8Array(0);
    const { result, buffered } = await readUntil(
      socket,
      (chunk) => {
        // The first chunk is kept as it is: a stream never reuses a chunk it has pushed.
        received = received.length === 0 ? chunk : concatBytes(received, chunk);
        const r = p.handshake.parseServer(received);
        return r === null ? null : { result: r, buffered: received };
      },
      p.timeoutMs,
      p.signal,
      'obfs4 client handshake',
    );
    const okm = ntorKdf(result.keySeed);
    const stream = new Obfs4Stream({
      socket,
      writer: new PacketWriter(new FrameEncoder(okm.subarray(0, KDF_HALF))),
      decoder: new FrameDecoder(okm.subarray(KDF_HALF)),
      isServer: false,
      iatMode: p.iatMode,
      dists: p.dists,
      initial: buffered.subarray(result.consumed),
    });
    publish('client', true, started);
    return stream;
  } catch (e) {
    socket.destroy();
    publish('client', false, started, (e as PtError).code);
    throw e;
  }
}

export interface ServerSessionParams {
  handshake: ServerHandshake;
  drbgSeed: Uint8Array;
  iatMode: IatMode;
  dists: Distributions;
  timeoutMs: number;
  /** Absolute time (Date.now clock) after which a failed handshake's socket is closed. */
  closeDeadline: number;
  signal?: AbortSignal | undefined;
  /**
   * A replay filter shared with other processes (a worker's link to its primary), asked once
   * the handshake checked out; the handshake's own filter then only records the tags to ask.
   */
  sharedReplay?: { readonly pending: DeferredReplayCheck; readonly filter: SharedReplayFilter };
}

/**
 * A ReplayCheck for the sans-IO handshake that defers the verdict: it records the tags the
 * handshake would test, and the I/O shell asks the shared filter about them asynchronously.
 */
export class DeferredReplayCheck implements ReplayCheck {
  readonly tags: Uint8Array[] = [];
  nowMs = 0;

  testAndSet(nowMs: number, buf: Uint8Array): boolean {
    this.nowMs = nowMs;
    this.tags.push(buf.slice());
    return false;
  }
}

/** True when any deferred tag was seen before by the shared filter (all are recorded). */
async function askShared(
  shared: NonNullable<ServerSessionParams['sharedReplay']>,
): Promise<boolean> {
  const { pending, filter } = shared;
  const verdicts = await Promise.all(pending.tags.map((t) => filter.testAndSet(pending.nowMs, t)));
  return verdicts.includes(true);
}

export async function runServer(socket: Duplex, p: ServerSessionParams): Promise<Obfs4Stream> {
  const started = performance.now();
  (socket as Partial<Socket>).setNoDelay?.(true);
  let received: Uint8Array = new Uint8Array(0);
  let result: HandshakeResult & { leftover: Uint8Array };
  try {
    result = await readUntil(
      socket,
      (chunk) => {
        // The reference reads at most 8192 bytes at a time and parses after each read; slicing
        // big chunks the same way keeps which inputs are accepted identical to it.
        for (let off = 0; off < chunk.length; off += MAX_HANDSHAKE_LENGTH) {
          const slice = chunk.subarray(off, Math.min(off + MAX_HANDSHAKE_LENGTH, chunk.length));
          received = received.length === 0 ? slice : concatBytes(received, slice);
          const r = p.handshake.parseClient(received);
          if (r !== null) return { ...r, leftover: chunk.subarray(off + slice.length) };
        }
        return null;
      },
      p.timeoutMs,
      p.signal,
      'obfs4 server handshake',
    );
    if (p.sharedReplay !== undefined) {
      // readUntil left the socket paused and unlistened while the primary answers: hold an
      // error listener so that a client resetting in this window fails its handshake instead
      // of ending the process.
      const held = holdPending(socket, p.signal);
      // askShared never rejects: the primary answers, or its exit ends this worker.
      const replayed = await askShared(p.sharedReplay);
      const gone = held.release();
      if (gone !== undefined) throw gone;
      if (p.signal?.aborted === true)
        throw new AbortError('obfs4 server handshake aborted', { cause: p.signal.reason });
      if (replayed)
        throw new HandshakeError('ERR_HANDSHAKE_REPLAY', 'obfs4 client handshake replayed');
    }
  } catch (e) {
    publish('server', false, started, (e as PtError).code);
    if ((e as PtError).code === 'ERR_ABORTED') socket.destroy();
    else closeAfterDelay(socket, p.closeDeadline);
    throw e;
  }
  const okm = ntorKdf(result.keySeed);
  const writer = new PacketWriter(new FrameEncoder(okm.subarray(KDF_HALF)));
  const decoder = new FrameDecoder(okm.subarray(0, KDF_HALF));
  // Response and the PRNG-seed frame go out in one write, as the reference sends them.
  const response = p.handshake.generate();
  const seedFrame = writer.packet(PACKET_TYPE_PRNG_SEED, p.drbgSeed, 0);
  socket.write(Buffer.concat([response, seedFrame]));
  const stream = new Obfs4Stream({
    socket,
    writer,
    decoder,
    isServer: true,
    iatMode: p.iatMode,
    dists: p.dists,
    initial: result.leftover,
  });
  publish('server', true, started);
  return stream;
}

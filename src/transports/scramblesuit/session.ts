/**
 * The I/O around the sans-IO handshakes: feeding socket bytes into them under the timeouts,
 * turning the result into a ScrambleSuitStream, and the server's probe-resistance close.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { concatBytes } from '../../crypto/bytes.js';
import type { WeightedDist } from '../../crypto/probdist.js';
import { channels, type HandshakeEvent } from '../../diagnostics.js';
import type { PtError } from '../../errors.js';
import { closeAfterDelay, readUntil } from '../handshake-io.js';
import { FLAG_NEW_TICKET, FLAG_PAYLOAD, FLAG_PRNG_SEED } from './constants.js';
import type { ClientDhHandshake, ServerHandshake, ServerResult } from './handshake.js';
import { deriveSessionKeys } from './keys.js';
import { MessageDecoder, MessageEncoder, paddingPlan } from './message.js';
import { scramblesuitStream, type ScrambleSuitStream } from './codec.js';

export type HandshakeKind = 'uniformdh' | 'ticket';

function publish(
  role: 'client' | 'server',
  ok: boolean,
  started: number,
  kind?: HandshakeKind,
  code?: string,
): void {
  if (!channels.handshake.hasSubscribers) return;
  const ev: HandshakeEvent = {
    transport: 'scramblesuit',
    role,
    ok,
    ms: performance.now() - started,
  };
  if (kind !== undefined) ev.kind = kind;
  if (code !== undefined) ev.code = code;
  channels.handshake.publish(ev);
}

export interface ClientSessionParams {
  /** A ticket redemption message and its master key, or null for UniformDH. */
  ticket: { message: Uint8Array; masterKey: Uint8Array } | null;
  dh: ClientDhHandshake;
  lengthDist: WeightedDist;
  onTicket: (payload: Uint8Array) => void;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

function clientStream(
  socket: Duplex,
  masterKey: Uint8Array,
  p: ClientSessionParams,
  initial: Uint8Array,
): ScrambleSuitStream {
  const keys = deriveSessionKeys(masterKey);
  return scramblesuitStream(
    socket,
    {
      encoder: new MessageEncoder(keys.upstream),
      decoder: new MessageDecoder(keys.downstream),
      isServer: false,
      lengthDist: p.lengthDist,
      onTicket: p.onTicket,
    },
    initial,
  );
}

/** Resolves with the stream and which handshake it used. */
export async function runClient(
  socket: Duplex,
  p: ClientSessionParams,
): Promise<{ stream: ScrambleSuitStream; kind: HandshakeKind }> {
  const started = performance.now();
  (socket as Partial<Socket>).setNoDelay?.(true);
  try {
    if (p.ticket !== null) {
      // Nothing comes back for a ticket: both sides hold the keys, and the client may write at
      // once. The server's NEW_TICKET and PRNG_SEED arrive as the first messages.
      socket.write(p.ticket.message);
      // CodecStream starts the socket flowing (connectTcp hands it over paused).
      const stream = clientStream(socket, p.ticket.masterKey, p, new Uint8Array(0));
      publish('client', true, started, 'ticket');
      return { stream, kind: 'ticket' };
    }
    socket.write(p.dh.generate());
    let received: Uint8Array = new Uint8Array(0);
    const { result, buffered } = await readUntil(
      socket,
      (chunk) => {
        received = concatBytes(received, chunk);
        const r = p.dh.parseServer(received);
        return r === null ? null : { result: r, buffered: received };
      },
      p.timeoutMs,
      p.signal,
      'scramblesuit client handshake',
    );
    const stream = clientStream(socket, result.masterKey, p, buffered.subarray(result.consumed));
    publish('client', true, started, 'uniformdh');
    return { stream, kind: 'uniformdh' };
  } catch (e) {
    socket.destroy();
    publish('client', false, started, undefined, (e as PtError).code);
    throw e;
  }
}

export interface ServerSessionParams {
  handshake: ServerHandshake;
  /** NEW_TICKET payload for this client: a fresh master key ‖ its sealed ticket. */
  issueTicket: () => Uint8Array;
  prngSeed: Uint8Array;
  lengthDist: WeightedDist;
  timeoutMs: number;
  /** Absolute time (Date.now clock) after which a failed handshake's socket is closed. */
  closeDeadline: number;
  signal?: AbortSignal | undefined;
}

export async function runServer(
  socket: Duplex,
  p: ServerSessionParams,
): Promise<{ stream: ScrambleSuitStream; kind: HandshakeKind }> {
  const started = performance.now();
  (socket as Partial<Socket>).setNoDelay?.(true);
  let received: Uint8Array = new Uint8Array(0);
  let result: ServerResult;
  try {
    result = await readUntil(
      socket,
      (chunk) => {
        received = concatBytes(received, chunk);
        return p.handshake.parseClient(received);
      },
      p.timeoutMs,
      p.signal,
      'scramblesuit server handshake',
    );
  } catch (e) {
    publish('server', false, started, undefined, (e as PtError).code);
    if ((e as PtError).code === 'ERR_ABORTED') socket.destroy();
    else closeAfterDelay(socket, p.closeDeadline);
    throw e;
  }
  const keys = deriveSessionKeys(result.masterKey);
  const encoder = new MessageEncoder(keys.downstream);
  const decoder = new MessageDecoder(keys.upstream);
  // After either handshake the server hands out the next ticket and its PRNG seed, as the
  // Python server does; with the UniformDH reply in front, all in one write.
  const ticketMsg = encoder.message(FLAG_NEW_TICKET, p.issueTicket());
  const seedMsg = encoder.message(FLAG_PRNG_SEED, p.prngSeed);
  const controlLength = ticketMsg.length + seedMsg.length;
  const pads = paddingPlan(controlLength, p.lengthDist.sample());
  const padMsgs = pads.map((n) => encoder.message(FLAG_PAYLOAD, new Uint8Array(0), n));
  socket.write(concatBytes(result.reply ?? new Uint8Array(0), ticketMsg, seedMsg, ...padMsgs));
  const stream = scramblesuitStream(
    socket,
    { encoder, decoder, isServer: true, lengthDist: p.lengthDist },
    received.subarray(result.consumed),
  );
  publish('server', true, started, result.kind);
  return { stream, kind: result.kind };
}

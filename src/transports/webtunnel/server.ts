/**
 * The webtunnel server side of one connection: optionally terminate TLS (standalone, no web
 * server in front), read one request head with the bounded parser, and either
 *
 * - answer 101 and hand the stream over as the tunnel (the secret path, GET, Connection:
 *   upgrade, Upgrade: websocket), with the first X-Forwarded-For entry as the client; or
 * - give the connection to the cover site (any other well-formed request); or
 * - answer what nginx answers to a broken request (400) and close; or
 * - close silently on a header timeout (nginx's client_header_timeout) or an early EOF.
 *
 * Not one byte of the tunnel is sent unless the request is the secret upgrade.
 */
import type { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import { HandshakeError, PtError } from '../../errors.js';
import { deadline } from '../../net/deadline.js';
import { ByteReader, writeAll } from '../../net/reader.js';
import { setForwardedPeer } from '../forwarded-peer.js';
import { unpause } from './unpause.js';
import type { CoverSite } from './cover.js';
import { errorResponse } from './cover.js';
import { HttpHeadError, MAX_HEAD_BYTES, parseRequestHead, type RequestHead } from './http-head.js';
import { forwardedClient, isTunnelRequest, SWITCHING_PROTOCOLS } from './upgrade.js';

/** Time for the TLS handshake plus the request head (nginx: client_header_timeout 60 s). */
export const SERVER_HEADER_TIMEOUT_MS = 60_000;

export interface ServerConnectionConfig {
  readonly secretPath: string;
  /** Terminate TLS with this context (standalone without a reverse proxy). */
  readonly tls?: SecureContext;
  readonly cover: CoverSite;
  readonly headerTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

function startServerTls(
  socket: Duplex,
  context: SecureContext,
  signal: AbortSignal,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = new TLSSocket(socket, {
      isServer: true,
      secureContext: context,
      // A browser offers h2 first; the tunnel (and this cover server) speak HTTP/1.1.
      ALPNProtocols: ['http/1.1'],
    });
    const fail = (e: Error): void => {
      signal.removeEventListener('abort', onAbort);
      socket.off('close', onClose);
      t.destroy();
      socket.destroy();
      reject(e);
    };
    const onAbort = (): void =>
      fail(new HandshakeError('ERR_HANDSHAKE_TIMEOUT', 'no TLS handshake in time'));
    // A peer that leaves mid-handshake closes the TCP socket without a TLS error.
    const onClose = (): void =>
      fail(
        new HandshakeError('ERR_HANDSHAKE_EOF', 'the connection closed during the TLS handshake'),
      );
    socket.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    t.once('error', (e: Error) =>
      fail(new HandshakeError('ERR_HANDSHAKE_INVALID', `TLS: ${e.message}`, { cause: e })),
    );
    t.once('secure', () => {
      signal.removeEventListener('abort', onAbort);
      socket.off('close', onClose);
      t.removeAllListeners('error');
      // Errors after the handshake belong to whoever reads the stream next.
      t.on('error', () => t.destroy());
      resolve(t);
    });
  });
}

type HeadResult =
  | { readonly kind: 'head'; readonly head: RequestHead; readonly raw: Buffer }
  | { readonly kind: 'bad'; readonly error: HttpHeadError }
  | { readonly kind: 'gone'; readonly timedOut: boolean };

async function readHead(reader: ByteReader, signal: AbortSignal): Promise<HeadResult> {
  let raw = Buffer.alloc(0);
  try {
    const head = await reader.read(
      (buf) => {
        const r = parseRequestHead(buf);
        if (r === null) return null;
        raw = Buffer.from(buf.subarray(0, r.length));
        return { value: r, consumed: r.length };
      },
      { signal, what: 'the HTTP request' },
    );
    return { kind: 'head', head, raw };
  } catch (e) {
    if (e instanceof HttpHeadError) return { kind: 'bad', error: e };
    const timedOut = e instanceof PtError && e.code !== 'ERR_ABORTED' && signal.aborted;
    return { kind: 'gone', timedOut };
  }
}

/**
 * Runs the server side; resolves with the tunnel stream, or rejects with a HandshakeError after
 * handling the connection itself (cover site, error page, close). The caller must not touch
 * `socket` after a rejection.
 */
export async function webtunnelServerHandshake(
  socket: Duplex,
  cfg: ServerConnectionConfig,
): Promise<Duplex> {
  const d = deadline(cfg.headerTimeoutMs ?? SERVER_HEADER_TIMEOUT_MS, cfg.signal);
  let stream: Duplex = socket;
  const close = (): void => {
    stream.destroy();
    socket.destroy();
  };
  try {
    if (cfg.tls !== undefined) stream = await startServerTls(socket, cfg.tls, d.signal);
    const reader = new ByteReader(stream, 'ERR_HANDSHAKE_INVALID', MAX_HEAD_BYTES);
    const got = await readHead(reader, d.signal);
    reader.release();
    if (got.kind !== 'head' || !isTunnelRequest(got.head, cfg.secretPath)) {
      // An error page or the cover site goes to a peer that may reset at any moment; with the
      // reader gone nothing else listens, and an unheard 'error' would end the process.
      stream.on('error', () => stream.destroy());
    }
    if (got.kind === 'gone') {
      close();
      throw got.timedOut
        ? new HandshakeError('ERR_HANDSHAKE_TIMEOUT', 'no complete HTTP request in time')
        : new HandshakeError(
            'ERR_HANDSHAKE_EOF',
            'the connection closed before a complete HTTP request',
          );
    }
    if (got.kind === 'bad') {
      // nginx: 400 for a malformed request, "Request Header Or Cookie Too Large" for a long one.
      const answer =
        got.error.problem === 'too-large'
          ? errorResponse(400, 'Request Header Or Cookie Too Large')
          : errorResponse(400);
      stream.end(answer);
      // Whatever the peer still sends is not read; the socket goes once the answer is out.
      setTimeout(close, 2_000).unref();
      throw new HandshakeError('ERR_HANDSHAKE_INVALID', `bad HTTP request: ${got.error.message}`);
    }
    if (!isTunnelRequest(got.head, cfg.secretPath)) {
      cfg.cover.serve(stream, got.raw);
      throw new HandshakeError(
        'ERR_HANDSHAKE_INVALID',
        'an ordinary web request, given to the cover site',
      );
    }
    await writeAll(stream, SWITCHING_PROTOCOLS);
    const client = forwardedClient(got.head);
    if (client !== undefined) setForwardedPeer(stream, client);
    unpause(stream);
    return stream;
  } catch (e) {
    if (!(e instanceof HandshakeError)) close();
    throw e;
  } finally {
    d.dispose();
  }
}

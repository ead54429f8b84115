/**
 * The SOCKS connection handler shared by the managed client (one listener per CMETHOD) and the
 * standalone client: read a SOCKS5 or SOCKS4(a) request, hand the target and the
 * per-connection args to `onConnect`, answer "succeeded" only once `onConnect` has produced a
 * ready stream (obfs4proxy replies after the obfs4 handshake), then relay until both sides end.
 */
import type { Duplex } from 'node:stream';
import { InvalidArgsError, PtError } from '../errors.js';
import type { HostPort } from '../net/address.js';
import { deadline } from '../net/deadline.js';
import { holdPending } from '../net/pending.js';
import { ByteReader, writeAll } from '../net/reader.js';
import { relay, type RelayResult } from '../net/relay.js';
import { parseClientArgs, type PtArgs } from '../pt/args.js';
import { errorToSocksReply, SocksError, SocksReply } from './reply.js';
import {
  AUTH_NO_ACCEPTABLE,
  AUTH_USERPASS,
  chooseMethod,
  encodeMethodChoice,
  encodeReply,
  encodeUserPassStatus,
  parseGreeting,
  parseRequest,
  parseUserPass,
  userPassToArgBytes,
  type UserPass,
} from './socks5.js';
import { encodeSocks4Reply, parseSocks4Request } from './socks4.js';
import { LightAbortController } from '../net/light-abort.js';

export interface SocksRequest {
  readonly version: 4 | 5;
  readonly target: HostPort;
  /**
   * Per-connection PT args from the username/password (SOCKS5) or USERID (SOCKS4); null when the
   * client sent none, or when the server runs with `args: 'raw'`.
   */
  readonly args: PtArgs | null;
  /** The raw credentials (SOCKS4: USERID as username, empty password); null when none. */
  readonly credentials: UserPass | null;
}

export interface ServeSocksOptions {
  /**
   * Opens the onward stream for an accepted request. Resolve only when it is ready to carry
   * data; reject to fail the request (the reply code comes from errorToSocksReply). `signal`
   * is the serveSocks signal (shutdown), not the handshake deadline.
   */
  readonly onConnect: (req: SocksRequest, signal: AbortSignal) => Promise<Duplex>;
  /** Aborting destroys the connection at any stage. */
  readonly signal?: AbortSignal;
  /** Bound on reading the request (greeting to CONNECT). Default 5 s, like obfs4proxy. */
  readonly handshakeTimeoutMs?: number;
  /**
   * 'pt' (default): parse the credentials as PT args (a malformed string fails the auth step,
   * as in obfs4proxy) and prefer username/password when offered. 'raw': leave them unparsed and
   * prefer "no auth" (a plain SOCKS front).
   */
  readonly args?: 'pt' | 'raw';
  /**
   * SOCKS5 only: accept username/password and nothing else (a proxy that checks credentials in
   * `onConnect`). Default false.
   */
  readonly requireAuth?: boolean;
  /** Accept SOCKS4/4a on the same port (default true). */
  readonly allowSocks4?: boolean;
  /** Passed to relay(); default true. */
  readonly halfClose?: boolean;
}

/** What happened on a connection that got as far as the relay. */
export interface SocksSession {
  readonly request: SocksRequest;
  readonly relay: RelayResult;
}

/**
 * Serves one SOCKS connection to completion and destroys `socket` at the end.
 * Resolves after the relay ends. Rejects with SocksError (malformed or unsupported request,
 * timeout), InvalidArgsError (unparseable PT args) or the error `onConnect` rejected with, after
 * having sent the matching failure reply where the protocol has one.
 */
export async function serveSocks(socket: Duplex, opts: ServeSocksOptions): Promise<SocksSession> {
  // The socket may reset at any point; errors surface through the reads and the relay.
  socket.on('error', ignore);
  const outer = opts.signal ?? new LightAbortController().signal;
  const limit = deadline(opts.handshakeTimeoutMs ?? 5000, outer);
  const signal = limit.signal;
  const mode = opts.args ?? 'pt';
  const reader = new ByteReader(socket, 'ERR_SOCKS', 8 * 1024);

  let request: SocksRequest;
  let version: 4 | 5;
  try {
    version = await reader.read(
      (b) => {
        if (b.length < 1) return null;
        const v = b[0];
        if (v === 5 || (v === 4 && opts.allowSocks4 !== false)) return { value: v, consumed: 0 };
        throw new SocksError(describeBadFirstByte(b));
      },
      { signal, what: 'the SOCKS version' },
    );
    request =
      version === 5
        ? await handshake5(socket, reader, signal, mode, opts.requireAuth === true)
        : await handshake4(socket, reader, signal, mode);
  } catch (e) {
    reader.release();
    socket.destroy();
    throw e;
  } finally {
    limit.dispose();
  }

  // A client that leaves while its target is being reached cancels the work done for it.
  const pending = holdPending(socket, outer);
  let remote: Duplex;
  try {
    remote = await opts.onConnect(request, pending.signal);
  } catch (e) {
    pending.release();
    reader.release();
    const reply = version === 5 ? encodeReply(errorToSocksReply(e)) : encodeSocks4Reply(false);
    await writeAll(socket, reply).catch(ignore);
    socket.end();
    // Let the failure reply leave before the socket goes; bounded so a stuck peer cannot hold us.
    setTimeout(() => socket.destroy(), 1000).unref();
    throw e;
  }

  pending.release();
  const orphan = reader.release();
  try {
    await writeAll(
      socket,
      version === 5 ? encodeReply(SocksReply.succeeded) : encodeSocks4Reply(true),
    );
  } catch (e) {
    remote.destroy();
    socket.destroy();
    throw new SocksError('the SOCKS client went away before the reply', SocksReply.generalFailure, {
      cause: e,
    });
  }
  if (orphan.length > 0) remote.write(orphan);
  const result = await relay(socket, remote, {
    signal: outer,
    ...(opts.halfClose === undefined ? {} : { halfClose: opts.halfClose }),
  });
  return { request, relay: result };
}

async function handshake5(
  socket: Duplex,
  reader: ByteReader,
  signal: AbortSignal,
  mode: 'pt' | 'raw',
  requireAuth: boolean,
): Promise<SocksRequest> {
  const methods = await reader.read(parseGreeting, { signal, what: 'the SOCKS5 greeting' });
  const method = requireAuth
    ? methods.includes(AUTH_USERPASS)
      ? AUTH_USERPASS
      : AUTH_NO_ACCEPTABLE
    : chooseMethod(methods, mode === 'pt');
  await writeAll(socket, encodeMethodChoice(method));
  if (method === AUTH_NO_ACCEPTABLE) {
    throw new SocksError(
      'the SOCKS5 client offered no acceptable authentication method (need 0x00 or 0x02)',
    );
  }
  let credentials: UserPass | null = null;
  let args: PtArgs | null = null;
  if (method === AUTH_USERPASS) {
    try {
      credentials = await reader.read(parseUserPass, {
        signal,
        what: 'the SOCKS5 username/password',
      });
      if (mode === 'pt') args = argsFromBytes(userPassToArgBytes(credentials));
    } catch (e) {
      if (e instanceof PtError && e.code !== 'ERR_ABORTED')
        await writeAll(socket, encodeUserPassStatus(false)).catch(ignore);
      throw e;
    }
    await writeAll(socket, encodeUserPassStatus(true));
  }
  let req;
  try {
    req = await reader.read(parseRequest, { signal, what: 'the SOCKS5 request' });
  } catch (e) {
    if (e instanceof SocksError) await writeAll(socket, encodeReply(e.reply)).catch(ignore);
    throw e;
  }
  return { version: 5, target: req.target, args, credentials };
}

async function handshake4(
  socket: Duplex,
  reader: ByteReader,
  signal: AbortSignal,
  mode: 'pt' | 'raw',
): Promise<SocksRequest> {
  let req;
  try {
    req = await reader.read(parseSocks4Request, { signal, what: 'the SOCKS4 request' });
  } catch (e) {
    if (e instanceof SocksError) await writeAll(socket, encodeSocks4Reply(false)).catch(ignore);
    throw e;
  }
  const credentials =
    req.userId.length === 0 ? null : { username: req.userId, password: new Uint8Array(0) };
  let args: PtArgs | null = null;
  if (mode === 'pt' && req.userId.length > 0) {
    try {
      args = argsFromBytes(req.userId);
    } catch (e) {
      await writeAll(socket, encodeSocks4Reply(false)).catch(ignore);
      throw e;
    }
  }
  return { version: 4, target: req.target, args, credentials };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** @throws InvalidArgsError when the bytes are not UTF-8 or not a valid k=v;k=v string. */
function argsFromBytes(bytes: Uint8Array): PtArgs {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InvalidArgsError('the SOCKS args are not valid UTF-8');
  }
  return parseClientArgs(text);
}

function describeBadFirstByte(b: Uint8Array): string {
  const head = Buffer.from(b.subarray(0, 8)).toString('latin1');
  if (/^(GET|POST|HEAD|PUT|CONNECT|OPTIONS) /.test(head)) {
    return 'an HTTP request arrived on a SOCKS port: configure the application to use a SOCKS5 proxy, not an HTTP proxy';
  }
  if (b[0] === 0x16)
    return 'a TLS handshake arrived on a SOCKS port: configure the application to use SOCKS5 without TLS';
  return `not a SOCKS request (first byte 0x${(b[0] ?? 0).toString(16).padStart(2, '0')})`;
}

function ignore(): void {
  // deliberately empty
}

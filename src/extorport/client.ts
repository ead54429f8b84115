/**
 * Connects a bridge-side PT connection to tor: through the Extended ORPort with SAFE_COOKIE
 * authentication plus USERADDR/TRANSPORT metadata when tor offers one, otherwise to the plain
 * ORPort (goptlib's DialOr). The whole ExtORPort exchange runs under one 5 s deadline; after
 * OKAY the socket carries the raw OR stream.
 */
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { PtError } from '../errors.js';
import type { HostPort } from '../net/address.js';
import { deadline } from '../net/deadline.js';
import { connectTcp, type OutboundBind } from '../net/proxy.js';
import { ByteReader, writeAll } from '../net/reader.js';
import { readAuthCookieFile } from './cookie.js';
import {
  AUTH_SAFE_COOKIE,
  computeClientHash,
  encodeMetadata,
  ExtOrCommand,
  NONCE_LENGTH,
  parseAuthStatus,
  parseAuthTypes,
  parseCommand,
  parseServerHashNonce,
  verifyServerHash,
} from './protocol.js';

export const EXTORPORT_TIMEOUT_MS = 5000;
/** Unknown commands tor may send before OKAY/DENY; more than this is not a tor. */
const MAX_IGNORED_COMMANDS = 16;

export interface ExtOrPortOptions {
  readonly cookie: Uint8Array;
  /** Client address for tor's statistics: `1.2.3.4:5678` or `[::1]:5678`. */
  readonly userAddr?: string;
  /** The PT name, e.g. "obfs4". */
  readonly transport?: string;
  readonly signal?: AbortSignal;
  /** Injectable for known-answer tests; 32 bytes. */
  readonly clientNonce?: Uint8Array;
}

/**
 * Runs authentication and metadata on an already connected socket (sans connect, for tests and
 * for callers with their own sockets).
 * @throws PtError('ERR_EXTORPORT') on any protocol failure, DENY, or the deadline.
 */
export async function extOrPortHandshake(socket: Socket, opts: ExtOrPortOptions): Promise<void> {
  const limit = deadline(EXTORPORT_TIMEOUT_MS, opts.signal);
  const signal = limit.signal;
  const reader = new ByteReader(socket, 'ERR_EXTORPORT', 1024);
  try {
    const types = await reader.read(parseAuthTypes, { signal, what: 'the ExtORPort auth types' });
    if (!types.has(AUTH_SAFE_COOKIE)) {
      throw new PtError(
        'ERR_EXTORPORT',
        `tor did not offer ExtORPort auth type 1 (SAFE_COOKIE); offered ${[...types].join(',')}`,
      );
    }
    const clientNonce = opts.clientNonce ?? new Uint8Array(randomBytes(NONCE_LENGTH));
    if (clientNonce.length !== NONCE_LENGTH) throw new RangeError('clientNonce must be 32 bytes');
    await writeAll(socket, Buffer.concat([Uint8Array.of(AUTH_SAFE_COOKIE), clientNonce]));
    const { serverHash, serverNonce } = await reader.read(parseServerHashNonce, {
      signal,
      what: 'the ExtORPort server hash and nonce',
    });
    verifyServerHash(opts.cookie, clientNonce, serverNonce, serverHash);
    await writeAll(socket, computeClientHash(opts.cookie, clientNonce, serverNonce));
    await reader.read(parseAuthStatus, { signal, what: 'the ExtORPort auth status' });
    await writeAll(socket, encodeMetadata(opts.userAddr, opts.transport));
    for (let i = 0; i <= MAX_IGNORED_COMMANDS; i++) {
      const msg = await reader.read(parseCommand, { signal, what: 'the ExtORPort reply to DONE' });
      if (msg.command === ExtOrCommand.okay) return;
      if (msg.command === ExtOrCommand.deny) {
        throw new PtError('ERR_EXTORPORT', 'tor answered DENY to our USERADDR/TRANSPORT/DONE');
      }
      // Unknown commands must be ignored (ext-orport-spec).
    }
    throw new PtError(
      'ERR_EXTORPORT',
      `tor sent ${MAX_IGNORED_COMMANDS} commands without OKAY or DENY`,
    );
  } finally {
    limit.dispose();
    const orphan = reader.release();
    // tor closed right after OKAY and its first OR bytes: nothing can use them now.
    if (orphan.length > 0) socket.destroy();
  }
}

export interface DialOrOptions {
  /** TOR_PT_EXTENDED_SERVER_PORT; when null the plain ORPort is used. */
  readonly extOrPort: HostPort | null;
  readonly orPort: HostPort | null;
  /** TOR_PT_AUTH_COOKIE_FILE, read again on every connection (tor bug 15240). */
  readonly authCookieFile: string | null;
  readonly userAddr?: string;
  readonly transport?: string;
  readonly outboundBind?: OutboundBind;
  readonly signal?: AbortSignal;
}

/**
 * Opens the onward connection to tor for one client.
 * @throws PtError: ERR_EXTORPORT (cookie or protocol), ERR_CONNECT (tor not listening).
 */
export async function dialOr(opts: DialOrOptions): Promise<Socket> {
  const common = {
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.outboundBind === undefined ? {} : { outboundBind: opts.outboundBind }),
    timeoutMs: EXTORPORT_TIMEOUT_MS,
  };
  if (opts.extOrPort === null || opts.authCookieFile === null) {
    if (opts.orPort === null)
      throw new PtError('ERR_CONNECT', 'tor gave neither an ORPort nor an Extended ORPort');
    return connectTcp(opts.orPort, common);
  }
  const cookie = await readAuthCookieFile(opts.authCookieFile);
  const socket = await connectTcp(opts.extOrPort, common);
  try {
    await extOrPortHandshake(socket, {
      cookie,
      ...(opts.userAddr === undefined ? {} : { userAddr: opts.userAddr }),
      ...(opts.transport === undefined ? {} : { transport: opts.transport }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    return socket;
  } catch (e) {
    socket.destroy();
    throw e;
  }
}

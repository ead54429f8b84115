/**
 * The webtunnel client handshake over an already connected socket: TLS (browser-like
 * ClientHello, Node's CA store plus NODE_EXTRA_CA_CERTS, or the `cert=` pin), then the HTTP
 * upgrade, then the socket itself is the data stream. Every failure is one HandshakeError that
 * says what went wrong: the certificate (expired, wrong host, untrusted), the pin (the
 * connection is intercepted), or the HTTP answer (an error, a redirect, not a 101).
 *
 * With a pin, nothing of the upgrade (path, host, user agent) is written before the chain has
 * matched, so an interceptor learns only the SNI it already saw.
 */
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  checkServerIdentity,
  connect as tlsConnect,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { AbortError, HandshakeError, PtError } from '../../errors.js';
import { deadline } from '../../net/deadline.js';
import { ByteReader, writeAll } from '../../net/reader.js';
import { browserTlsOptions } from './browser-tls.js';
import type { WebtunnelClientArgs } from './client-args.js';
import {
  HttpHeadError,
  MAX_HEAD_BYTES,
  parseResponseHead,
  type ResponseHead,
} from './http-head.js';
import { chainHash, interceptionIssuer, kazakhIssuer, peerCertificates } from './pin.js';
import { unpause } from './unpause.js';
import { encodeUpgradeRequest, judgeUpgradeResponse } from './upgrade.js';

export const CLIENT_HANDSHAKE_TIMEOUT_MS = 30_000;

export interface WebtunnelTlsOptions {
  /** Trust exactly these CAs instead of Node's store (tests; NODE_EXTRA_CA_CERTS is the usual way). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** More interception certificates to warn about (hex SHA-256 → name); the bench's own root. */
  readonly interceptionRoots?: ReadonlyMap<string, string>;
  /** Warnings that do not stop the connection (a national root in an unpinned chain). */
  readonly onWarning?: (message: string) => void;
  readonly timeoutMs?: number;
  /** Overrides the browser User-Agent. */
  readonly userAgent?: string;
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** One clear error for a failed TLS handshake, from Node's error code. */
function tlsError(e: Error & { code?: string }, args: WebtunnelClientArgs): PtError {
  const code = e.code ?? '';
  const where = `${args.serverName}`;
  if (code === 'CERT_HAS_EXPIRED') {
    return new HandshakeError(
      'ERR_TLS_CERT',
      `the TLS certificate of ${where} has expired (or this computer's clock is wrong)`,
      { cause: e },
    );
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return new HandshakeError(
      'ERR_TLS_CERT',
      `the TLS certificate of ${where} is not valid yet (or this computer's clock is wrong)`,
      { cause: e },
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new HandshakeError(
      'ERR_TLS_CERT',
      `the TLS certificate is not valid for ${args.verifyName} (wrong host in url=/servername=, or the connection is intercepted)`,
      { cause: e },
    );
  }
  if (UNTRUSTED.has(code)) {
    return new HandshakeError(
      'ERR_TLS_CERT',
      `the TLS certificate of ${where} is not signed by a CA this computer trusts (${code}): the connection may be intercepted; a bridge with its own certificate needs cert= in its Bridge line`,
      { cause: e },
    );
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new HandshakeError(
      'ERR_HANDSHAKE_EOF',
      `the connection to ${where} was reset during the TLS handshake (blocked, or no TLS server there)`,
      { cause: e },
    );
  }
  return new HandshakeError(
    'ERR_HANDSHAKE_INVALID',
    `TLS handshake with ${where} failed: ${e.message}`,
    {
      cause: e,
    },
  );
}

/**
 * The two trust settings almost every connection uses, each made once: node:tls otherwise builds
 * an OpenSSL context (ciphers, groups, signature algorithms, store) for every connection, about
 * 0.5 ms of CPU each (measured). A pin covers exactly the certificates the server sent (as Go's
 * rawCerts); Node's chain walk appends issuers from the trust store past them, so a pinned
 * connection gets an empty store: nothing is appended, and nothing needs to be trusted. The
 * default one is Node's store with NODE_EXTRA_CA_CERTS, read once at process start anyway.
 */
let pinnedContext: SecureContext | undefined;
let systemContext: SecureContext | undefined;

function tlsTrust(
  args: WebtunnelClientArgs,
  opts: WebtunnelTlsOptions,
): { secureContext: SecureContext } | { ca: Array<string | Buffer> } {
  if (args.pin !== null)
    return {
      secureContext: (pinnedContext ??= createSecureContext({ ...browserTlsOptions(), ca: [] })),
    };
  // A caller's own CA list (tests, embedders) is rare: a context per connection, as node:tls does.
  if (opts.ca !== undefined) return { ca: opts.ca as Array<string | Buffer> };
  return { secureContext: (systemContext ??= createSecureContext(browserTlsOptions())) };
}

/** The TLS socket, and the chain objects Node built for the name check when it ran one. */
interface TlsResult {
  readonly socket: TLSSocket;
  readonly leaf: PeerCertificate | undefined;
}

function startTls(
  socket: Duplex,
  args: WebtunnelClientArgs,
  opts: WebtunnelTlsOptions,
  signal: AbortSignal,
): Promise<TlsResult> {
  return new Promise((resolve, reject) => {
    let leaf: PeerCertificate | undefined;
    const t = tlsConnect({
      ...browserTlsOptions(),
      ...tlsTrust(args, opts),
      socket,
      ...(isIP(args.serverName) === 0 ? { servername: args.serverName } : {}),
      // lyrebird: a pinned chain replaces CA and name validation.
      rejectUnauthorized: args.pin === null,
      checkServerIdentity: (_host, cert) => {
        leaf = cert;
        return checkServerIdentity(args.verifyName, cert);
      },
    });
    const cleanup = (): void => {
      signal.removeEventListener('abort', onAbort);
      t.off('error', onError);
    };
    const onAbort = (): void => {
      cleanup();
      t.destroy();
      const r: unknown = signal.reason;
      reject(
        r instanceof Error && r.name === 'TimeoutError'
          ? new HandshakeError(
              'ERR_HANDSHAKE_TIMEOUT',
              `no TLS answer from ${args.serverName} in time`,
            )
          : new AbortError('webtunnel handshake aborted', { cause: r }),
      );
    };
    const onError = (e: Error): void => {
      cleanup();
      t.destroy();
      reject(tlsError(e, args));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    t.once('error', onError);
    t.once('secureConnect', () => {
      cleanup();
      resolve({ socket: t, leaf });
    });
  });
}

/** Checks the pin and the issuer; throws before anything is written. */
function checkChain(tls: TlsResult, args: WebtunnelClientArgs, opts: WebtunnelTlsOptions): void {
  const chain = peerCertificates(tls.socket, tls.leaf);
  const ders = chain.map((c) => c.raw);
  const known = interceptionIssuer(ders, opts.interceptionRoots);
  const kz = known ?? kazakhIssuer(chain);
  if (args.pin !== null) {
    if (ders.length === 0 || !chainHash(ders).equals(args.pin)) {
      const by = kz === null ? 'e.g. by a national root CA' : `by "${kz}"`;
      throw new HandshakeError(
        'ERR_TLS_PIN',
        `the certificate chain of ${args.serverName} does not match the bridge's cert= pin: the connection is being intercepted (${by}); nothing was sent`,
      );
    }
    return;
  }
  if (kz !== null) {
    opts.onWarning?.(
      `the certificate of ${args.serverName} was issued under "${kz}", a national interception CA: this connection is probably being intercepted and the bridge's secret path can be read; use a Bridge line with cert=`,
    );
  }
}

function describeFailure(res: ResponseHead, args: WebtunnelClientArgs): string {
  const v = judgeUpgradeResponse(res);
  const status = `${res.status}${res.reason === '' ? '' : ` ${res.reason}`}`;
  if (v.ok) return '';
  switch (v.kind) {
    case 'redirect':
      return `the web server answered the upgrade with a redirect (${status} to ${JSON.stringify(v.location)}): check the url= (scheme, host and path)`;
    case 'headers':
      return `the web server answered 101 without "Upgrade: websocket" and "Connection: upgrade": the reverse proxy in front of the webtunnel server is misconfigured`;
    case 'status':
      return res.status >= 400
        ? `the web server answered the upgrade with HTTP error ${status}: wrong secret path in url=, or the web server does not forward ${args.path} to the webtunnel server`
        : `the web server answered ${status} instead of 101 Switching Protocols: ${args.path} is not routed to the webtunnel server`;
  }
}

/** Runs the handshake; takes ownership of `socket` (destroyed on failure). */
export async function webtunnelClientHandshake(
  socket: Duplex,
  args: WebtunnelClientArgs,
  opts: WebtunnelTlsOptions & { signal?: AbortSignal } = {},
): Promise<Duplex> {
  const d = deadline(opts.timeoutMs ?? CLIENT_HANDSHAKE_TIMEOUT_MS, opts.signal);
  let stream: Duplex = socket;
  try {
    if (args.tls) {
      const tls = await startTls(socket, args, opts, d.signal);
      stream = tls.socket;
      checkChain(tls, args, opts);
      if (tls.socket.alpnProtocol === 'h2') {
        throw new HandshakeError(
          'ERR_HTTP_UPGRADE',
          `the web server chose HTTP/2 for ${args.serverName}: webtunnel needs HTTP/1.1 there (nginx: no "http2" on that server block)`,
        );
      }
    }
    await writeAll(
      stream,
      encodeUpgradeRequest({
        path: args.path,
        host: args.host,
        ...(opts.userAgent !== undefined ? { userAgent: opts.userAgent } : {}),
      }),
    );
    const reader = new ByteReader(stream, 'ERR_HTTP_UPGRADE', MAX_HEAD_BYTES);
    const res = await reader.read(
      (buf) => {
        try {
          const r = parseResponseHead(buf);
          return r === null ? null : { value: r, consumed: r.length };
        } catch (e) {
          if (!(e instanceof HttpHeadError)) throw e;
          throw new HandshakeError(
            'ERR_HTTP_UPGRADE',
            `the answer to the upgrade is not HTTP/1.1: ${e.message}`,
          );
        }
      },
      { signal: d.signal, what: 'the answer to the HTTP upgrade' },
    );
    const failure = describeFailure(res, args);
    if (failure !== '') throw new HandshakeError('ERR_HTTP_UPGRADE', failure);
    // Bytes after the 101 go back into the stream for the data phase. release() hands them
    // back instead only when the server already closed: then the tunnel is over anyway.
    if (reader.release().length > 0) {
      throw new HandshakeError(
        'ERR_HANDSHAKE_EOF',
        'the server closed the tunnel right after the upgrade',
      );
    }
    unpause(stream);
    return stream;
  } catch (e) {
    stream.destroy();
    socket.destroy();
    throw e;
  } finally {
    d.dispose();
  }
}

/**
 * WebTunnel (protocols.md §3.5): the client makes a real TLS connection to a real web server
 * and upgrades one secret path to a raw byte stream; every other request is an ordinary
 * website. Wire-compatible with lyrebird's client; the server side runs behind nginx/Caddy (or
 * terminates TLS itself). The Transport for managed mode and the standalone tunnel, and the
 * library API `webtunnel.dial` / `webtunnel.createServer`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../fs/write-atomic.js';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { InvalidArgsError, PtError } from '../../errors.js';
import type { HostPort } from '../../net/address.js';
import { connectTcp } from '../../net/proxy.js';
import type { Connector } from '../../net/connector.js';
import {
  argValue,
  ptArgs,
  type ClientFactory,
  type ClientOptions,
  type DialContext,
  type HandshakeOptions,
  type PtArgs,
  type ServerFactory,
  type ServerOptions,
  type Transport,
} from '../types.js';
import { decodePin, parseWebtunnelArgs, type WebtunnelClientArgs } from './client-args.js';
import { webtunnelClientHandshake, type WebtunnelTlsOptions } from './client.js';
import { coverSite, type CoverSite } from './cover.js';
import { identityFor, serverUrl, webtunnelIdentity, WEBTUNNEL_VERSION } from './identity.js';
import { webtunnelServerHandshake } from './server.js';
import { allowPrivateFromEnv, guardDialTarget } from './dial-guard.js';

export { chainHash, pinForPem, KZ_INTERCEPTION_ROOTS } from './pin.js';
export { parseWebtunnelArgs, type WebtunnelClientArgs } from './client-args.js';
export type { WebtunnelTlsOptions } from './client.js';

export { STATE_FILE, WEBTUNNEL_VERSION } from './identity.js';
export { ALLOW_PRIVATE_ENV } from './dial-guard.js';

class WebtunnelClientFactory implements ClientFactory<WebtunnelClientArgs> {
  readonly transportName = 'webtunnel';
  readonly #tls: WebtunnelTlsOptions;
  readonly #allowPrivate: boolean;

  constructor(tls: WebtunnelTlsOptions & { allowPrivate?: boolean } = {}) {
    this.#tls = tls;
    this.#allowPrivate = tls.allowPrivate ?? allowPrivateFromEnv();
  }

  parseArgs(args: PtArgs): WebtunnelClientArgs {
    return parseWebtunnelArgs(args);
  }

  /**
   * The Bridge line's address is a placeholder: the connection goes to url='s host or addr=,
   * refused when that is a private address (dial-guard.ts).
   */
  dialTarget(args: WebtunnelClientArgs, ctx: DialContext): Promise<HostPort> {
    return guardDialTarget(args.dial, {
      allowPrivate: this.#allowPrivate,
      resolve: !ctx.proxied,
      arg: args.dialArg,
    });
  }

  wrap(socket: Duplex, args: WebtunnelClientArgs, opts: HandshakeOptions = {}): Promise<Duplex> {
    return webtunnelClientHandshake(socket, args, {
      ...this.#tls,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }
}

export interface WebtunnelServerOptions extends ServerOptions {
  /** Test seam: the header timeout (default 60 s, nginx's client_header_timeout). */
  readonly headerTimeoutMs?: number;
}

/** A synthetic documentation-range address for the Bridge line, derived from the URL. */
export function bridgeAddressFor(url: string): HostPort {
  const h = createHash('sha256').update(url).digest();
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) groups.push(h.readUInt16BE(i * 2).toString(16));
  return { host: `2001:db8:${groups.join(':')}`, port: 443 };
}

export class WebtunnelServerFactory implements ServerFactory {
  readonly transportName = 'webtunnel';
  readonly clientArgs: PtArgs;
  readonly url: string;
  readonly secretPath: string;
  readonly #tls: SecureContext | undefined;
  readonly #cover: CoverSite;
  readonly #headerTimeoutMs: number | undefined;

  constructor(
    url: URL,
    tls: SecureContext | undefined,
    cover: CoverSite,
    headerTimeoutMs?: number,
  ) {
    this.url = url.href;
    this.secretPath = url.pathname;
    this.clientArgs = ptArgs({ url: url.href, ver: WEBTUNNEL_VERSION });
    this.#tls = tls;
    this.#cover = cover;
    this.#headerTimeoutMs = headerTimeoutMs;
  }

  /** The Bridge line's address (a placeholder; clients dial the URL's host). */
  get bridgeAddress(): HostPort {
    return bridgeAddressFor(this.url);
  }

  bridgeLine(fingerprint?: string): string {
    const a = this.bridgeAddress;
    const fp = fingerprint === undefined ? '' : ` ${fingerprint}`;
    return `Bridge webtunnel [${a.host}]:${a.port}${fp} url=${this.url} ver=${WEBTUNNEL_VERSION}`;
  }

  accept(socket: Duplex, opts: HandshakeOptions = {}): Promise<Duplex> {
    return webtunnelServerHandshake(socket, {
      secretPath: this.secretPath,
      cover: this.#cover,
      ...(this.#tls ? { tls: this.#tls } : {}),
      ...(this.#headerTimeoutMs !== undefined ? { headerTimeoutMs: this.#headerTimeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  close(): Promise<void> {
    this.#cover.close();
    return Promise.resolve();
  }
}

async function readOption(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new InvalidArgsError(`${what}: cannot read ${file}: ${(e as Error).message}`);
  }
}

export const webtunnelTransport: Transport & {
  bridgeAddress(args: PtArgs): HostPort | undefined;
  createClient(
    opts?: ClientOptions & WebtunnelTlsOptions & { allowPrivate?: boolean },
  ): ClientFactory;
} = {
  name: 'webtunnel',
  identity: webtunnelIdentity,
  createClient(
    opts?: ClientOptions & WebtunnelTlsOptions & { allowPrivate?: boolean },
  ): ClientFactory {
    return new WebtunnelClientFactory(opts);
  },
  async createServer(opts: WebtunnelServerOptions): Promise<WebtunnelServerFactory> {
    const options = opts.options ?? new Map();
    const url = await serverUrl(opts.stateDir, options);
    // Remembered, so that bridgeline (and a restart without url=) find it.
    const id = identityFor(url);
    try {
      await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
      for (const [name, content] of id.files)
        await writeFileAtomic(join(opts.stateDir, name), content);
    } catch (e) {
      throw new PtError(
        'ERR_INVALID_STATE',
        `cannot write in ${opts.stateDir}: ${(e as Error).message}`,
      );
    }
    const certFile = argValue(options, 'tls-cert');
    const keyFile = argValue(options, 'tls-key');
    if ((certFile === undefined) !== (keyFile === undefined)) {
      throw new InvalidArgsError('tls-cert= and tls-key= go together (a PEM chain and its key)');
    }
    let tls: SecureContext | undefined;
    if (certFile !== undefined && keyFile !== undefined) {
      const cert = await readOption(certFile, 'tls-cert=');
      const key = await readOption(keyFile, 'tls-key=');
      try {
        tls = createSecureContext({ cert, key });
      } catch (e) {
        throw new InvalidArgsError(`tls-cert=/tls-key=: ${(e as Error).message}`);
      }
    }
    const coverS = argValue(options, 'cover');
    if (coverS !== undefined && !/^https?:\/\//i.test(coverS.trim())) {
      const st = await stat(coverS.trim()).catch(() => null);
      if (st?.isDirectory() !== true) {
        throw new InvalidArgsError(
          `cover=: ${coverS} is not a directory (or an http://host:port upstream)`,
        );
      }
    }
    return new WebtunnelServerFactory(url, tls, coverSite(coverS), opts.headerTimeoutMs);
  },
  bridgeAddress(args: PtArgs): HostPort | undefined {
    const url = argValue(args, 'url');
    return url === undefined ? undefined : bridgeAddressFor(url);
  },
};

// ------------------------------------------------------------------ library API

export interface WebtunnelDialOptions extends WebtunnelTlsOptions {
  /** https://HOST/SECRET-PATH (the bridge line's url=). */
  url: string;
  /** host:port to dial instead of the URL's. */
  addr?: string;
  /** TLS SNI and certificate name instead of the URL's host. */
  servername?: string;
  /** base64 SHA-256 of the certificate chain (the bridge line's cert=). */
  cert?: string;
  signal?: AbortSignal;
  /** Use this already connected socket instead of dialling (no address check then). */
  socket?: Duplex;
  /**
   * How to reach the web server: directConnector() or proxyConnector(...) from net/connector
   * (default: direct). With a connector only an IP literal is checked against private
   * addresses: a name is handed to the connector unresolved, so a proxy resolves it and no DNS
   * lookup leaves this machine.
   */
  connector?: Connector;
  /**
   * Dial url='s host or addr= even when it is a private, loopback, link-local or unspecified
   * address (default: refused, unless STEPPE_WEBTUNNEL_ALLOW_PRIVATE=1).
   */
  allowPrivate?: boolean;
}

export interface WebtunnelCreateServerOptions extends WebtunnelServerOptions {
  url?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** A directory of files, or an http://host:port upstream. */
  cover?: string;
}

/** Library API. Import as `import { webtunnel } from 'steppe'`. */
export const webtunnel = {
  transport: webtunnelTransport,

  /**
   * Connects (TLS + HTTP upgrade) and resolves with the raw byte stream. Rejects with
   * InvalidArgsError for bad options, PtError ERR_CONNECT when unreachable, HandshakeError
   * ERR_TLS_CERT / ERR_TLS_PIN / ERR_HTTP_UPGRADE naming what failed.
   */
  async dial(opts: WebtunnelDialOptions): Promise<Duplex> {
    const entries: Record<string, string> = { url: opts.url };
    if (opts.addr !== undefined) entries['addr'] = opts.addr;
    if (opts.servername !== undefined) entries['servername'] = opts.servername;
    if (opts.cert !== undefined) entries['cert'] = opts.cert;
    const factory = new WebtunnelClientFactory(opts);
    const args = factory.parseArgs(ptArgs(entries));
    let socket: Duplex;
    if (opts.socket !== undefined) socket = opts.socket;
    else if (opts.connector !== undefined)
      socket = await opts.connector(await factory.dialTarget(args, { proxied: true }), opts.signal);
    else
      socket = await connectTcp(await factory.dialTarget(args, { proxied: false }), {
        proxy: null,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    return factory.wrap(socket, args, opts.signal ? { signal: opts.signal } : {});
  },

  createServer(opts: WebtunnelCreateServerOptions): Promise<WebtunnelServerFactory> {
    const options = new Map(opts.options ?? []);
    if (opts.url !== undefined) options.set('url', [opts.url]);
    if (opts.tlsCert !== undefined) options.set('tls-cert', [opts.tlsCert]);
    if (opts.tlsKey !== undefined) options.set('tls-key', [opts.tlsKey]);
    if (opts.cover !== undefined) options.set('cover', [opts.cover]);
    return webtunnelTransport.createServer({ ...opts, options }) as Promise<WebtunnelServerFactory>;
  },

  /** Validates a --pin / cert= value. */
  decodePin,
};

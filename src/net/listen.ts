/**
 * TCP listeners for the SOCKS front (CMETHOD) and the bridge side (SMETHOD): IPv4, IPv6, and
 * dual stack, with listen failures turned into messages an operator can act on.
 */
import { createServer, isIPv4, type AddressInfo, type Server, type Socket } from 'node:net';
import { PtError } from '../errors.js';
import type { AcceptErrorSink } from './accept-errors.js';
import { formatHostPort, type HostPort } from './address.js';
import { watchFdPressure, type FdPressure } from './fd-pressure.js';

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /**
   * With host 0.0.0.0, listen on [::] without IPV6_V6ONLY so that both IPv4 and IPv6 clients
   * reach the bridge (lyrebird does the same). Falls back to 0.0.0.0 where IPv6 is unavailable.
   */
  readonly dualStack?: boolean;
  /** Called for each accepted socket (created with allowHalfOpen, TCP_NODELAY, keep-alive). */
  readonly onConnection: (socket: Socket) => void;
  /** Where to say why the operator's setting did not work: "ServerTransportListenAddr", ... */
  readonly setting?: string;
  /**
   * Told about accept failures (EMFILE: out of descriptors) and about each accepted connection;
   * the listener stays up either way. Without it failures are ignored silently.
   */
  readonly acceptErrors?: AcceptErrorSink;
  /** Accept sockets paused, unread: for handing them to another process (--workers). */
  readonly pauseOnConnect?: boolean;
}

/** A listening server and the address to report in CMETHOD/SMETHOD. */
export interface Listener {
  readonly server: Server;
  /** The bound address; for a dual-stack listener, the requested IPv4 host with the real port. */
  readonly address: HostPort;
  /** Stops accepting; open connections are untouched. */
  close(): Promise<void>;
}

/**
 * Starts listening.
 * @throws PtError('ERR_INVALID_CONFIG') with a message naming the address and the fix.
 */
export async function listenTcp(opts: ListenOptions): Promise<Listener> {
  if (opts.dualStack === true && opts.host === '0.0.0.0') {
    try {
      const l = await listenOnce({ ...opts, host: '::' }, false);
      return { ...l, address: { host: opts.host, port: l.address.port } };
    } catch (e) {
      const code =
        (e as PtError).cause instanceof Error
          ? ((e as PtError).cause as NodeJS.ErrnoException).code
          : undefined;
      // No IPv6 on this host: plain IPv4 is what was asked for anyway.
      if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL' && code !== 'EINVAL') throw e;
    }
  }
  // No IPV6_V6ONLY: an explicit [::] stays dual stack, as Go's listener (obfs4proxy) makes it.
  return listenOnce(opts, undefined);
}

function listenOnce(opts: ListenOptions, ipv6Only: boolean | undefined): Promise<Listener> {
  return new Promise<Listener>((resolve, reject) => {
    const sink = opts.acceptErrors;
    let pressure: FdPressure | undefined;
    const server = createServer(
      {
        allowHalfOpen: true,
        noDelay: true,
        keepAlive: true,
        keepAliveInitialDelay: 15_000,
        pauseOnConnect: opts.pauseOnConnect === true,
      },
      sink === undefined
        ? opts.onConnection
        : (socket) => {
            pressure?.accepted();
            opts.onConnection(socket);
          },
    );
    const onError = (err: NodeJS.ErrnoException): void => {
      server.close();
      reject(listenError(opts, err));
    };
    server.once('error', onError);
    server.listen(
      { host: opts.host, port: opts.port, ...(ipv6Only === undefined ? {} : { ipv6Only }) },
      () => {
        server.off('error', onError);
        // Accept errors (EMFILE, ...) must not kill the process; the listener stays up (libuv
        // closes the connections it could not hand over and accepts again when it can).
        server.on(
          'error',
          sink === undefined ? ignore : (e: NodeJS.ErrnoException) => sink.error(e),
        );
        // EMFILE itself never reaches 'error' (libuv drops the connections): count descriptors.
        if (sink !== undefined) {
          pressure = watchFdPressure(sink);
          server.once('close', () => pressure?.stop());
        }
        const a = server.address() as AddressInfo;
        resolve({
          server,
          address: { host: a.address, port: a.port },
          close: () =>
            new Promise<void>((res) => {
              if (!server.listening) {
                res();
                return;
              }
              server.close(() => res());
            }),
        });
      },
    );
  });
}

function listenError(opts: ListenOptions, err: NodeJS.ErrnoException): PtError {
  const where = formatHostPort({ host: opts.host, port: opts.port });
  const setting = opts.setting === undefined ? '' : ` (${opts.setting})`;
  let why: string;
  switch (err.code) {
    case 'EADDRINUSE':
      why = `the address is already in use: another program (perhaps another PT or an old steppe) listens there; stop it or choose another port${setting}`;
      break;
    case 'EACCES':
    case 'EPERM':
      why = `permission denied: ports below 1024 need privileges (CAP_NET_BIND_SERVICE); choose a port above 1023${setting}`;
      break;
    case 'EADDRNOTAVAIL':
      why = `no network interface has the address ${opts.host}; use an address of this host or 0.0.0.0${setting}`;
      break;
    case 'EAFNOSUPPORT':
      why = `this host has no ${isIPv4(opts.host) ? 'IPv4' : 'IPv6'} support${setting}`;
      break;
    default:
      why = `${err.code ?? 'error'}: ${err.message}`;
  }
  return new PtError('ERR_INVALID_CONFIG', `cannot listen on ${where}: ${why}`, { cause: err });
}

function ignore(): void {
  // deliberately empty
}

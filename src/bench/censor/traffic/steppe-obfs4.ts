import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { obfs4, type IatMode, type Obfs4ServerFactory } from '../../../index.js';
import { accepting, PeerWatch } from './peers.js';
import { connectTcp, echoCheck, runAttempt, serveEcho } from './session.js';
import type { Endpoint, RunningTraffic, TrafficKind } from './types.js';

export interface SteppeObfs4Options {
  readonly iatMode: IatMode;
  /** Server identity directory; a fresh temporary one when omitted. */
  readonly stateDir?: string;
  /** Probe-resistance timing seams of steppe's server (tests shorten the 30 s + delay). */
  readonly handshakeTimeoutMs?: number;
  readonly closeDelayMs?: number;
}

/** A running steppe obfs4 echo server, with what a client needs to reach it. */
export interface SteppeObfs4Server {
  readonly endpoint: Endpoint;
  readonly factory: Obfs4ServerFactory;
  readonly cert: string;
  readonly iatMode: IatMode;
  close(): Promise<void>;
}

/** Starts steppe's obfs4 server on loopback, serving an echo behind the transport. */
export async function startSteppeObfs4Server(opts: SteppeObfs4Options): Promise<SteppeObfs4Server> {
  const ownDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'steppe-bench-obfs4-')));
  const factory = await obfs4.createServer({
    stateDir,
    iatMode: opts.iatMode,
    ...(opts.handshakeTimeoutMs === undefined
      ? {}
      : { handshakeTimeoutMs: opts.handshakeTimeoutMs }),
    ...(opts.closeDelayMs === undefined ? {} : { closeDelayMs: opts.closeDelayMs }),
  });
  const sockets = new Set<Socket>();
  // Half-open sockets, as steppe's own listeners (net/listen.ts) make them: with Node's default
  // a peer's FIN would close the socket by itself and hide how the transport reacts to it.
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => {});
    // On failure the factory applies obfs4's probe-resistance policy to the socket itself.
    factory.accept(s).then(serveEcho, () => {});
  });
  // An accept error (EMFILE) must not take the bench down; the peer check notices a dead port.
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: { host: '127.0.0.1', port },
    factory,
    cert: factory.cert,
    iatMode: opts.iatMode,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      // Saves the replay filter, so that a restarted server remembers recorded handshakes.
      await factory.close();
      if (ownDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A steppe obfs4 client session: handshake, then an echo of `bytes` random bytes. */
export function steppeObfs4Session(
  via: Endpoint,
  cert: string,
  iatMode: IatMode,
  o: { localAddress?: string; timeoutMs: number; bytes?: number },
): ReturnType<RunningTraffic['attempt']> {
  return runAttempt(o.timeoutMs, async ({ signal, stage, own, count }) => {
    const sock = await connectTcp(via, { signal, localAddress: o.localAddress });
    own(sock);
    stage('handshake');
    const stream = await obfs4.dial({
      host: via.host,
      port: via.port,
      cert,
      iatMode,
      socket: sock,
      signal,
    });
    own(stream);
    stage('data');
    const r = await echoCheck(stream, o.bytes ?? 32 * 1024, signal);
    count(r.sent, r.received);
  });
}

/** Rows obfs4 iat-mode 0, 1 and 2, served by steppe's own implementation. */
export function steppeObfs4(iatMode: IatMode): TrafficKind {
  return {
    id: `obfs4-iat${iatMode}`,
    label: `obfs4 iat-mode=${iatMode} (steppe)`,
    group: 'transport',
    available: () => Promise.resolve(true),
    async start() {
      // Our own state directory, so that a restarted server keeps the identity (bridge line).
      const stateDir = await mkdtemp(join(tmpdir(), 'steppe-bench-obfs4-'));
      let srv = await startSteppeObfs4Server({ iatMode, stateDir });
      const peers = new PeerWatch(
        () => [
          {
            name: 'steppe server',
            health: async () => {
              const why = await accepting(srv.endpoint);
              return why === undefined
                ? undefined
                : `steppe server stopped listening on ${srv.endpoint.host}:${srv.endpoint.port} (${why})`;
            },
          },
        ],
        async () => {
          await srv.close();
          srv = await startSteppeObfs4Server({ iatMode, stateDir });
        },
      );
      return {
        get target() {
          return srv.endpoint;
        },
        description: srv.factory.bridgeLine(`${srv.endpoint.host}:${srv.endpoint.port}`),
        peers,
        attempt: (via, o) => steppeObfs4Session(via, srv.cert, iatMode, o),
        authenticatedProbe: async (target, signal) => {
          try {
            const s = await obfs4.dial({
              host: target.host,
              port: target.port,
              cert: srv.cert,
              iatMode,
              signal,
            });
            s.destroy();
            return true;
          } catch {
            return false;
          }
        },
        async close() {
          await srv.close();
          await rm(stateDir, { recursive: true, force: true });
        },
      };
    },
  };
}

/**
 * Rows obfs3 and obfs2: steppe's client and server, and obfs4proxy's pair as the reference. Both
 * transports have no secret a client holds (obfs2's shared-secret extension is not what bridges
 * deployed), so the bridge-line-aware prober's handshake is just a client handshake.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { obfs2, obfs3 } from '../../../index.js';
import type { CodecStream } from '../../../transports/codec-stream.js';
import type { ServerFactory } from '../../../transports/types.js';
import {
  obfs4proxyAvailable,
  socks5Connect,
  startObfs4proxyClient,
  startObfs4proxyServer,
  type Obfs4proxyClient,
  type Obfs4proxyServer,
} from './obfs4proxy.js';
import { accepting, PeerWatch } from './peers.js';
import { connectTcp, echoCheck, runAttempt, serveEcho } from './session.js';
import type { Endpoint, RunningTraffic, TrafficKind } from './types.js';

type Name = 'obfs3' | 'obfs2';

const api: Record<
  Name,
  {
    dial(o: {
      host: string;
      port: number;
      socket?: Socket;
      signal?: AbortSignal;
    }): Promise<CodecStream>;
    createServer(): Promise<ServerFactory>;
  }
> = {
  obfs3: { dial: (o) => obfs3.dial(o), createServer: () => obfs3.createServer() },
  obfs2: { dial: (o) => obfs2.dial(o), createServer: () => obfs2.createServer() },
};

interface EchoServer {
  readonly endpoint: Endpoint;
  close(): Promise<void>;
}

/** steppe's server for `name` on loopback, with an echo behind the transport. */
async function startSteppeServer(name: Name): Promise<EchoServer> {
  const factory = await api[name].createServer();
  const sockets = new Set<Socket>();
  // Half-open, as steppe's own listeners: the transport decides how a peer's FIN is answered.
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => {});
    factory.accept(s).then(serveEcho, () => {});
  });
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
  return {
    endpoint,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function steppeSession(
  name: Name,
  via: Endpoint,
  o: { localAddress?: string; timeoutMs: number; bytes?: number },
) {
  return runAttempt(o.timeoutMs, async ({ signal, stage, own, count }) => {
    const sock = await connectTcp(via, { signal, localAddress: o.localAddress });
    own(sock);
    stage('handshake');
    const stream = await api[name].dial({ host: via.host, port: via.port, socket: sock, signal });
    own(stream);
    stage('data');
    const r = await echoCheck(stream, o.bytes ?? 32 * 1024, signal);
    count(r.sent, r.received);
  });
}

/** Rows obfs3 and obfs2, served and dialled by steppe. */
export function steppeObfs23(name: Name): TrafficKind {
  return {
    id: name,
    label: `${name} (steppe)`,
    group: 'transport',
    available: () => Promise.resolve(true),
    async start(): Promise<RunningTraffic> {
      let srv = await startSteppeServer(name);
      const peers = new PeerWatch(
        () => [
          {
            name: 'steppe server',
            health: async () => {
              const why = await accepting(srv.endpoint);
              return why === undefined
                ? undefined
                : `steppe ${name} server stopped listening (${why})`;
            },
          },
        ],
        async () => {
          await srv.close();
          srv = await startSteppeServer(name);
        },
      );
      return {
        get target() {
          return srv.endpoint;
        },
        description: `Bridge ${name} ${srv.endpoint.host}:${srv.endpoint.port}`,
        peers,
        attempt: (via, o) => steppeSession(name, via, o),
        authenticatedProbe: async (target, signal) => {
          try {
            (await api[name].dial({ ...target, signal })).destroy();
            return true;
          } catch {
            return false;
          }
        },
        close: () => srv.close(),
      };
    },
  };
}

/** Rows obfs4proxy-obfs3 and obfs4proxy-obfs2: the reference pair, all sessions from 127.0.0.1. */
export function obfs4proxyObfs23(name: Name): TrafficKind {
  return {
    id: `obfs4proxy-${name}`,
    label: `${name} (obfs4proxy 0.0.14, reference)`,
    group: 'reference',
    available: obfs4proxyAvailable,
    async start(): Promise<RunningTraffic> {
      let server: Obfs4proxyServer = await startObfs4proxyServer({ transport: name });
      let client: Obfs4proxyClient;
      try {
        client = await startObfs4proxyClient(name);
      } catch (e) {
        await server.close();
        throw e;
      }
      const peers = new PeerWatch(
        () => [server.peer, client.peer],
        async () => {
          if ((await server.peer.health()) !== undefined) {
            const next = await startObfs4proxyServer({ transport: name });
            await server.close();
            server = next;
          }
          if ((await client.peer.health()) !== undefined) {
            const next = await startObfs4proxyClient(name);
            await client.close();
            client = next;
          }
        },
      );
      return {
        get target() {
          return server.endpoint;
        },
        description: `Bridge ${name} ${server.endpoint.host}:${server.endpoint.port}`,
        peers,
        attempt: (via, a) =>
          runAttempt(a.timeoutMs, async ({ signal, stage, own, count }) => {
            stage('handshake');
            const s = await socks5Connect(client.socks, via, '', signal);
            own(s);
            stage('data');
            const r = await echoCheck(s, a.bytes ?? 32 * 1024, signal);
            count(r.sent, r.received);
          }),
        authenticatedProbe: async (target, signal) => {
          try {
            (await socks5Connect(client.socks, target, '', signal)).destroy();
            return true;
          } catch {
            return false;
          }
        },
        async close() {
          await client.close();
          await server.close();
        },
      };
    },
  };
}

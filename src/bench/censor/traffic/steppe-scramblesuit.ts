/**
 * The ScrambleSuit row: steppe's server (obfs4proxy has none) with an echo behind it, and
 * steppe's client. Each session is a first connection (UniformDH): a fresh client holds no
 * ticket, which is the handshake a censor sees from every new user and after every ticket
 * expiry. A ticket redemption looks the same to these censors (uniform bytes from the first
 * one, 144–1532 of them, silence on failure).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scramblesuit, type ScrambleSuitServerFactory } from '../../../index.js';
import { accepting, PeerWatch } from './peers.js';
import { connectTcp, echoCheck, runAttempt, serveEcho } from './session.js';
import type { Endpoint, RunningTraffic, TrafficKind } from './types.js';

interface SteppeScrambleSuitServer {
  readonly endpoint: Endpoint;
  readonly factory: ScrambleSuitServerFactory;
  close(): Promise<void>;
}

async function startServer(stateDir: string): Promise<SteppeScrambleSuitServer> {
  const factory = await scramblesuit.createServer({ stateDir });
  const sockets = new Set<Socket>();
  // Half-open, as steppe's own listeners: the transport's reaction to a FIN stays visible.
  const server: Server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => {});
    factory.accept(s).then(serveEcho, () => {});
  });
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: { host: '127.0.0.1', port },
    factory,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      // Saves the replay filters, so that a restarted server still refuses recorded handshakes.
      await factory.close();
    },
  };
}

/** A UniformDH client session through `via`, then an echo of `bytes` random bytes. */
function session(
  via: Endpoint,
  password: string,
  o: { localAddress?: string; timeoutMs: number; bytes?: number },
): ReturnType<RunningTraffic['attempt']> {
  return runAttempt(o.timeoutMs, async ({ signal, stage, own, count }) => {
    const sock = await connectTcp(via, { signal, localAddress: o.localAddress });
    own(sock);
    stage('handshake');
    const client = scramblesuit.transport.createClient();
    const args = client.parseArgs(new Map([['password', [password]]]));
    const stream = await client.wrap(sock, args, { signal });
    own(stream);
    stage('data');
    const r = await echoCheck(stream, o.bytes ?? 32 * 1024, signal);
    count(r.sent, r.received);
  });
}

export function steppeScrambleSuit(): TrafficKind {
  return {
    id: 'scramblesuit',
    label: 'scramblesuit (steppe)',
    group: 'transport',
    available: () => Promise.resolve(true),
    async start() {
      const stateDir = await mkdtemp(join(tmpdir(), 'steppe-bench-ss-'));
      let srv = await startServer(stateDir);
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
          srv = await startServer(stateDir);
        },
      );
      return {
        get target() {
          return srv.endpoint;
        },
        description: srv.factory.bridgeLine(`${srv.endpoint.host}:${srv.endpoint.port}`),
        peers,
        attempt: (via, o) => session(via, srv.factory.password, o),
        authenticatedProbe: async (target, signal) => {
          try {
            const s = await scramblesuit.dial({
              host: target.host,
              port: target.port,
              password: srv.factory.password,
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

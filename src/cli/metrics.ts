/**
 * `--metrics ADDR`: the tunnel's counters as Prometheus metrics on http://ADDR/metrics (opt-in;
 * bind it to loopback or a management network). Every metric carries `transport` and `role`
 * labels. Values are read from TunnelStats at scrape time.
 *
 *   steppe_connections_open                  gauge    relayed connections open now
 *   steppe_connections_total                 counter  relayed connections since start
 *   steppe_bytes_total{direction=up|down}    counter  application bytes (up: towards the target)
 *   steppe_handshakes_total{result=ok|failed} counter transport handshakes
 *   steppe_handshake_failures_total{code}    counter  failed handshakes by error code
 *   steppe_connect_failures_total            counter  onward connections that could not be made
 *   steppe_handshake_seconds_total           counter  time spent in successful handshakes
 *   steppe_info{version}                     gauge    1
 * plus the prom-client process metrics (process_cpu_seconds_total, process_resident_memory_bytes,
 * nodejs_eventloop_lag_seconds, ...).
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { HostPort } from '../net/address.js';
import { listenTcp } from '../net/listen.js';
import type { StatsSnapshot, TunnelStats } from '../tunnel/stats.js';
import { VERSION } from '../version.js';

export interface MetricsServer {
  readonly address: HostPort;
  readonly registry: Registry;
  close(): Promise<void>;
}

/** A registry whose collectors read `stats`, and a scrape that reads them all at one instant. */
export interface TunnelMetrics {
  readonly registry: Registry;
  /** The Prometheus text, from one snapshot of the stats. */
  readonly scrape: () => Promise<string>;
}

export function metricsRegistry(stats: TunnelStats, transport: string): TunnelMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ transport, role: stats.role });
  collectDefaultMetrics({ register: registry });

  // One snapshot per scrape, shared by all collectors of that scrape.
  let cached: StatsSnapshot | null = null;
  const snap = (): StatsSnapshot => (cached ??= stats.snapshot());

  new Gauge({
    name: 'steppe_info',
    help: 'steppe version',
    labelNames: ['version'],
    registers: [registry],
    collect() {
      this.set({ version: VERSION }, 1);
    },
  });
  new Gauge({
    name: 'steppe_connections_open',
    help: 'Relayed connections open now',
    registers: [registry],
    collect() {
      this.set(snap().active);
    },
  });
  monotonic(registry, 'steppe_connections_total', 'Relayed connections since start', [], () => [
    [{}, snap().total],
  ]);
  monotonic(
    registry,
    'steppe_bytes_total',
    'Application bytes relayed; up is towards the target',
    ['direction'],
    () => {
      const s = snap();
      return [
        [{ direction: 'up' }, s.bytesUp],
        [{ direction: 'down' }, s.bytesDown],
      ];
    },
  );
  monotonic(registry, 'steppe_handshakes_total', 'Transport handshakes', ['result'], () => {
    const s = snap();
    return [
      [{ result: 'ok' }, s.handshakesOk],
      [{ result: 'failed' }, s.handshakesFailed],
    ];
  });
  monotonic(
    registry,
    'steppe_handshake_failures_total',
    'Failed transport handshakes by error code',
    ['code'],
    () => [...snap().handshakeFailures].map(([code, n]) => [{ code }, n]),
  );
  monotonic(
    registry,
    'steppe_connect_failures_total',
    'Onward connections (target, server, SOCKS request) that could not be made',
    [],
    () => [[{}, snap().connectFailures]],
  );
  monotonic(
    registry,
    'steppe_handshake_seconds_total',
    'Seconds spent in successful transport handshakes',
    [],
    () => [[{}, snap().handshakeSeconds]],
  );
  return {
    registry,
    scrape: () => {
      cached = null;
      return registry.metrics();
    },
  };
}

type Labels = Record<string, string>;

/** A counter whose value is read from a monotonic source at scrape time. */
function monotonic(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Array<[Labels, number]>,
): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, value] of read()) {
        const key = JSON.stringify(labels);
        const delta = value - (last.get(key) ?? 0);
        if (delta > 0) {
          this.inc(labels, delta);
          last.set(key, value);
        } else if (!last.has(key)) {
          this.inc(labels, 0);
          last.set(key, value);
        }
      }
    },
  });
}

/**
 * Serves the registry on http://addr/metrics.
 * @throws PtError('ERR_INVALID_CONFIG') when it cannot listen (port in use, ...).
 */
export async function startMetrics(
  addr: HostPort,
  stats: TunnelStats,
  transport: string,
  setting = '--metrics',
): Promise<MetricsServer> {
  const { registry, scrape } = metricsRegistry(stats, transport);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      scrape().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (e: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`${e instanceof Error ? e.message : String(e)}\n`);
        },
      );
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('steppe: metrics are at /metrics\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };
  const http = createHttpServer(handler);
  const sockets = new Set<Socket>();
  const listener = await listenTcp({
    host: addr.host,
    port: addr.port,
    setting,
    onConnection: (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      http.emit('connection', socket);
    },
  });
  return {
    address: listener.address,
    registry,
    close: async () => {
      const closed = listener.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

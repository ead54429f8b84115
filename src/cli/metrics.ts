/**
 * `--metrics ADDR`: Prometheus metrics on http://ADDR/metrics, the same module for standalone
 * (`steppe server|client --metrics`) and managed mode (the torrc PT line's `--metrics`). Opt-in;
 * an address that is not loopback needs `--metrics-public`, because traffic volumes tell an
 * observer when and how much a bridge is used. Labels carry the transport and role only, never
 * a client address. Values are read from each transport's TunnelStats at scrape time (with
 * `--workers`, from every worker's, added up by the primary).
 *
 *   steppe_connections_open                        gauge     relayed connections open now
 *   steppe_connections_total                       counter   relayed connections since start
 *   steppe_bytes_total{direction=up|down}          counter   application bytes (up: to the target)
 *   steppe_transport_connections_total{outcome}    counter   transport connections by outcome:
 *       ok, failed_handshake (a probe, a wrong cert, garbage), replay, timeout
 *   steppe_handshakes_total{result=ok|failed}      counter   transport handshakes
 *   steppe_handshake_failures_total{code}          counter   failed handshakes by error code
 *   steppe_handshake_kinds_total{kind}             counter   successful ones by kind (scramblesuit:
 *                                                            uniformdh, ticket)
 *   steppe_handshake_duration_seconds              histogram successful handshakes
 *   steppe_handshake_seconds_total                 counter   time spent in successful handshakes
 *   steppe_connect_failures_total                  counter   onward connections that failed
 *       (ORPort/Extended ORPort, forward target, bridge, upstream proxy)
 *   steppe_info{version}                           gauge     1
 * plus the prom-client process metrics (process_cpu_seconds_total, process_resident_memory_bytes,
 * nodejs_eventloop_lag_seconds, ...), labelled with the role only.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { collectDefaultMetrics, Registry, type MetricObjectWithValues } from 'prom-client';
import type { HostPort } from '../net/address.js';
import { listenTcp } from '../net/listen.js';
import type { StatsBook } from '../tunnel/stats-book.js';
import { HANDSHAKE_BUCKETS, type StatsSnapshot } from '../tunnel/stats.js';
import { VERSION } from '../version.js';

export interface MetricsServer {
  readonly address: HostPort;
  readonly registry: Registry;
  close(): Promise<void>;
}

/** A registry whose collectors read a StatsBook, and a scrape that reads it at one instant. */
export interface TunnelMetrics {
  readonly registry: Registry;
  /** The Prometheus text. */
  readonly scrape: () => Promise<string>;
}

type Labels = Record<string, string>;
type Sample = { labels: Labels; value: number; metricName?: string };
type MetricType = 'counter' | 'gauge' | 'histogram';

/** How a handshake failure code counts in steppe_transport_connections_total. */
const OUTCOME_OF_CODE: Readonly<Record<string, string>> = {
  ERR_HANDSHAKE_REPLAY: 'replay',
  ERR_HANDSHAKE_TIMEOUT: 'timeout',
};

export function metricsRegistry(book: StatsBook): TunnelMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ role: book.role });
  collectDefaultMetrics({ register: registry });

  // One set of snapshots per scrape, taken before the collectors run (prom-client starts them
  // all at once and each reads `current` synchronously).
  let current: Array<[string, StatsSnapshot]> = [];
  const snapshots = (): Array<[string, StatsSnapshot]> => current;
  /** A metric whose samples are read per transport from the snapshot. */
  const metric = (
    name: string,
    help: string,
    type: MetricType,
    read: (s: StatsSnapshot) => Sample[],
  ): void => {
    registry.registerMetric(
      readMetric(name, help, type, () =>
        snapshots().flatMap(([transport, snap]) =>
          read(snap).map((x) => ({ ...x, labels: { ...x.labels, transport } })),
        ),
      ),
    );
  };

  registry.registerMetric(
    readMetric('steppe_info', 'steppe version', 'gauge', () => [
      { labels: { version: VERSION }, value: 1 },
    ]),
  );
  metric('steppe_connections_open', 'Relayed connections open now', 'gauge', (s) => [
    { labels: {}, value: s.active },
  ]);
  metric('steppe_connections_total', 'Relayed connections since start', 'counter', (s) => [
    { labels: {}, value: s.total },
  ]);
  metric(
    'steppe_bytes_total',
    'Application bytes relayed; up is towards the target',
    'counter',
    (s) => [
      { labels: { direction: 'up' }, value: s.bytesUp },
      { labels: { direction: 'down' }, value: s.bytesDown },
    ],
  );
  metric(
    'steppe_transport_connections_total',
    'Transport connections by outcome: ok, failed_handshake (a probe, a wrong cert, garbage), replay, timeout',
    'counter',
    (s) => {
      const by = new Map<string, number>([
        ['ok', s.handshakesOk],
        ['failed_handshake', 0],
        ['replay', 0],
        ['timeout', 0],
      ]);
      for (const [code, n] of s.handshakeFailures) {
        const outcome = OUTCOME_OF_CODE[code] ?? 'failed_handshake';
        by.set(outcome, (by.get(outcome) ?? 0) + n);
      }
      return [...by].map(([outcome, value]) => ({ labels: { outcome }, value }));
    },
  );
  metric('steppe_handshakes_total', 'Transport handshakes', 'counter', (s) => [
    { labels: { result: 'ok' }, value: s.handshakesOk },
    { labels: { result: 'failed' }, value: s.handshakesFailed },
  ]);
  metric(
    'steppe_handshake_kinds_total',
    'Successful handshakes by kind, for transports with several (scramblesuit: uniformdh, ticket)',
    'counter',
    (s) => [...s.handshakeKinds].map(([kind, value]) => ({ labels: { kind }, value })),
  );
  metric(
    'steppe_handshake_failures_total',
    'Failed transport handshakes by error code',
    'counter',
    (s) => [...s.handshakeFailures].map(([code, value]) => ({ labels: { code }, value })),
  );
  metric(
    'steppe_handshake_duration_seconds',
    'Duration of successful transport handshakes',
    'histogram',
    (s) => {
      const out: Sample[] = [];
      let cumulative = 0;
      HANDSHAKE_BUCKETS.forEach((le, i) => {
        cumulative += s.handshakeBuckets[i] ?? 0;
        out.push(bucket(String(le), cumulative));
      });
      out.push(bucket('+Inf', s.handshakesOk));
      out.push({
        metricName: 'steppe_handshake_duration_seconds_sum',
        labels: {},
        value: s.handshakeSeconds,
      });
      out.push({
        metricName: 'steppe_handshake_duration_seconds_count',
        labels: {},
        value: s.handshakesOk,
      });
      return out;
    },
  );
  metric(
    'steppe_handshake_seconds_total',
    'Seconds spent in successful transport handshakes',
    'counter',
    (s) => [{ labels: {}, value: s.handshakeSeconds }],
  );
  metric(
    'steppe_connect_failures_total',
    'Onward connections (ORPort or Extended ORPort, forward target, bridge, upstream proxy) that could not be made',
    'counter',
    (s) => [{ labels: {}, value: s.connectFailures }],
  );
  return {
    registry,
    scrape: async () => {
      current = await book.snapshots();
      return registry.metrics();
    },
  };
}

function bucket(le: string, value: number): Sample {
  return { metricName: 'steppe_handshake_duration_seconds_bucket', labels: { le }, value };
}

/**
 * A prom-client metric object whose samples are computed at scrape time. The sources only go
 * up (or are gauges), so no state is kept here; `aggregator: 'sum'` is how a cluster primary
 * adds up its workers' samples.
 */
function readMetric(
  name: string,
  help: string,
  type: MetricType,
  read: () => Sample[],
): Parameters<Registry['registerMetric']>[0] {
  const get = (): Promise<MetricObjectWithValues<never>> =>
    Promise.resolve({
      name,
      help,
      type,
      aggregator: 'sum',
      values: read(),
    } as unknown as MetricObjectWithValues<never>);
  return { name, help, type, aggregator: 'sum', get } as unknown as Parameters<
    Registry['registerMetric']
  >[0];
}

/**
 * Serves the book's metrics on http://addr/metrics.
 * @throws PtError('ERR_INVALID_CONFIG') when it cannot listen (port in use, ...).
 */
export async function startMetrics(
  addr: HostPort,
  book: StatsBook,
  setting = '--metrics',
): Promise<MetricsServer> {
  return serveMetrics(addr, metricsRegistry(book), setting);
}

/** Serves an already built registry (a cluster primary's aggregate, or metricsRegistry's). */
export async function serveMetrics(
  addr: HostPort,
  metrics: TunnelMetrics,
  setting = '--metrics',
): Promise<MetricsServer> {
  const { registry, scrape } = metrics;
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

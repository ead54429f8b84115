/**
 * `--metrics` in managed mode. Metrics are optional there: a bridge that tor starts at boot must
 * not go down because its metrics port is taken or misconfigured, so a problem is one LOG line
 * in tor's log (and the steppe log) and the transports run without metrics.
 */
import { formatHostPort } from '../net/address.js';
import type { Logger } from '../log/logger.js';
import type { PtWriter } from '../pt/writer.js';
import type { StatsBook } from '../tunnel/stats-book.js';
import type { ManagedFlags } from './managed-flags.js';
import { metricsAddressProblem } from './metrics-address.js';
import type { MetricsServer } from './metrics.js';

/** Starts the metrics listener, or returns null (off, or a problem that was logged). */
export async function startManagedMetrics(
  flags: ManagedFlags,
  book: StatsBook,
  writer: PtWriter,
  logger: Logger,
): Promise<MetricsServer | null> {
  const addr = flags.metrics;
  if (addr === null) return null;
  const refuse = (why: string): null => {
    const line = `metrics are off: ${why}`;
    writer.log('warning', line);
    logger.warn(line);
    return null;
  };
  const problem = metricsAddressProblem(addr, flags.metricsPublic);
  if (problem !== null) return refuse(problem);
  try {
    // prom-client is loaded only when metrics are asked for.
    const { startMetrics } = await import('./metrics.js');
    const server = await startMetrics(addr, book);
    // In tor's log too: the operator learns where to point Prometheus (and the port, if 0).
    const line = `metrics on http://${formatHostPort(server.address)}/metrics`;
    writer.log('notice', line);
    logger.info(line);
    return server;
  } catch (e) {
    return refuse((e as Error).message);
  }
}

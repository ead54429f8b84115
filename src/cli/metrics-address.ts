/**
 * Where `--metrics` may listen. Kept apart from metrics.ts so that checking the flag does not
 * load prom-client (the CLI loads it only when metrics are asked for).
 */
import { formatHostPort, isLoopback, type HostPort } from '../net/address.js';

/**
 * Why `addr` may not serve metrics, or null. Traffic volumes and connection counts tell an
 * observer when and how much a bridge is used, so an address that is not loopback (a wildcard
 * included: it means every interface) needs the explicit `--metrics-public`.
 */
export function metricsAddressProblem(addr: HostPort, isPublic: boolean): string | null {
  if (isPublic || isLoopback(addr.host)) return null;
  return `the metrics address ${formatHostPort(addr)} is not loopback; metrics reveal traffic volumes, so serving them there needs --metrics-public`;
}

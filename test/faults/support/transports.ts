// Which transports the fault suite runs, and what each needs beyond the defaults to run on
// loopback. Every transport steppe ships is in it.
import { builtinRegistry } from '../../../src/transports/builtins.js';
import { encodeShare } from '../../../src/cli/share.js';
import { formatHostPort, type HostPort } from '../../../src/net/address.js';

// webtunnel: a plain-HTTP server as behind a reverse proxy, and a client told to dial it
// directly (addr=) since the bridge line's address is a placeholder and the URL's host is a name.
const WEBTUNNEL_URL = 'http://bridge.steppe.test/fault-secret';

/** Standalone `steppe server` flags a transport needs (beyond --transport/--forward/--state). */
const SERVER_FLAGS: Record<string, string[]> = { webtunnel: ['-o', `url=${WEBTUNNEL_URL}`] };
/** TOR_PT_SERVER_TRANSPORT_OPTIONS for the managed server. */
const SERVER_OPTIONS: Record<string, string> = { webtunnel: `webtunnel:url=${WEBTUNNEL_URL}` };

export const FAULT_TRANSPORTS: readonly string[] = builtinRegistry().names();

export function serverFlags(transport: string): string[] {
  return SERVER_FLAGS[transport] ?? [];
}

export function serverOptions(transport: string): string {
  return SERVER_OPTIONS[transport] ?? '';
}

/**
 * The share string a client uses to reach the server under test at `listen`: the server's own
 * args, its real listening address, and what the transport needs to dial that address.
 */
export function shareFor(
  transport: string,
  args: ReadonlyMap<string, string>,
  listen: HostPort,
): string {
  const all = new Map(args);
  if (transport === 'webtunnel') all.set('addr', formatHostPort(listen));
  return encodeShare({ transport, server: listen, args: all });
}

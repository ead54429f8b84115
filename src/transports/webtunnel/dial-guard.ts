/**
 * The webtunnel client dials whatever host a Bridge line's url= (or addr=) names, and a Bridge
 * line may come from a stranger: without this guard it could make the client connect to the
 * user's own LAN, router or local services (and report back, by success or failure, what is
 * there). A target that is, or resolves to, a private, loopback, link-local or unspecified
 * address is refused before any packet is sent, unless the user opted in: `allowPrivate: true`
 * in the library, STEPPE_WEBTUNNEL_ALLOW_PRIVATE=1 for the CLI and managed mode (tor passes its
 * environment to the PT). A name is resolved once here and the checked address is the one
 * dialled, so a second DNS answer cannot swap in a private address. Through an upstream proxy
 * (TOR_PT_PROXY) names are left to the proxy (resolving them here would leak the lookup).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { InvalidArgsError, PtError } from '../../errors.js';
import { formatHostPort, type HostPort } from '../../net/address.js';
import { isPrivateAddress } from '../../net/private-address.js';

export const ALLOW_PRIVATE_ENV = 'STEPPE_WEBTUNNEL_ALLOW_PRIVATE';

export function allowPrivateFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[ALLOW_PRIVATE_ENV] === '1';
}

export interface DialGuardOptions {
  readonly allowPrivate: boolean;
  /** False through an upstream proxy: only IP literals are checked. */
  readonly resolve: boolean;
  /** Which argument named the target, for the message ("url=" or "addr="). */
  readonly arg: string;
}

function refused(arg: string, target: HostPort, ip: string): InvalidArgsError {
  const via = target.host === ip ? '' : ` (it resolves to ${ip})`;
  return new InvalidArgsError(
    `refusing to dial ${formatHostPort(target)} from the Bridge line's ${arg}${via}: it is a private, loopback, link-local or unspecified address, and a Bridge line must not make this computer connect into its own network; set ${ALLOW_PRIVATE_ENV}=1 (library: allowPrivate: true) if this bridge really is on your network`,
  );
}

/** Resolves with the address to dial (the checked IP for a name), or rejects with one clear error. */
export async function guardDialTarget(target: HostPort, opts: DialGuardOptions): Promise<HostPort> {
  if (opts.allowPrivate) return target;
  const host = target.host;
  if (isIP(host) !== 0) {
    if (isPrivateAddress(host)) throw refused(opts.arg, target, host);
    return target;
  }
  // RFC 6761: every *.localhost name is loopback, whatever a resolver says.
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) {
    throw refused(opts.arg, target, '127.0.0.1');
  }
  if (!opts.resolve) return target;
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(host, { all: true });
  } catch (e) {
    // Failing here rather than letting the connect resolve again: a second answer is not checked.
    const code = (e as { code?: string }).code ?? (e as Error).message;
    throw new PtError(
      'ERR_CONNECT',
      `cannot connect to ${formatHostPort(target)}: cannot resolve ${host} (${code})`,
      { cause: e },
    );
  }
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  if (bad !== undefined) throw refused(opts.arg, target, bad.address);
  const first = addresses[0];
  return first === undefined ? target : { host: first.address, port: target.port };
}

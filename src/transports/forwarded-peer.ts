import type { Duplex } from 'node:stream';

/**
 * The client address a transport learned inside its handshake, for a server stream whose TCP
 * peer is a reverse proxy (webtunnel behind nginx: the first X-Forwarded-For entry). Managed
 * mode and the standalone tunnel pass it to tor as USERADDR instead of the proxy's address.
 * Kept beside the stream, not on it, so any Duplex can carry it.
 */
const forwarded = new WeakMap<Duplex, string>();

/** Records `host` (an IP address, no port) as the real client of `stream`. */
export function setForwardedPeer(stream: Duplex, host: string): void {
  forwarded.set(stream, host);
}

/** The real client address of `stream`, if its transport learned one. */
export function forwardedPeer(stream: Duplex): string | undefined {
  return forwarded.get(stream);
}

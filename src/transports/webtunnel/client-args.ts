/**
 * The webtunnel Bridge line arguments, as lyrebird's client reads them (protocols.md §3.5):
 *
 * - `url=`: https (TLS, default port 443) or http (plain TCP, port 80); host and path;
 * - `addr=`: host:port to dial instead of the URL's (the Bridge line's own address is a
 *   placeholder and is never dialled);
 * - `servername=`: the TLS SNI, and the name the certificate must match, instead of the URL's;
 * - `cert=`: base64 SHA-256 pin of the certificate chain (lyrebird 0.7.0, see pin.ts);
 * - `utls=`, `ver=`, `sni-imitation=`, `cert-domain=`, `utls-authority=`: accepted so that
 *   published lines work; Node has no uTLS, so `utls=` is ignored, and `sni-imitation=`
 *   sends that SNI while the certificate is checked against the URL's host.
 */
import { InvalidArgsError } from '../../errors.js';
import { parseHostPort, type HostPort } from '../../net/address.js';
import { argValue, type PtArgs } from '../types.js';

export interface WebtunnelClientArgs {
  readonly tls: boolean;
  /** Where the TCP connection goes. */
  readonly dial: HostPort;
  /** The argument that named `dial` ("url=" or "addr="), for messages. */
  readonly dialArg: string;
  /** TLS SNI. */
  readonly serverName: string;
  /** The name the server certificate must be valid for. */
  readonly verifyName: string;
  /** Host header. */
  readonly host: string;
  /** Request path, with its leading "/". */
  readonly path: string;
  /** Decoded `cert=` pin (32 bytes), or null. */
  readonly pin: Buffer | null;
}

/** Decodes a `cert=`/`--pin` value: base64 of a 32-byte SHA-256. */
export function decodePin(value: string, what = 'cert='): Buffer {
  const v = value.trim();
  const b = Buffer.from(v, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v) || b.length !== 32) {
    throw new InvalidArgsError(
      `${what} must be the base64 SHA-256 of the server's certificate chain (44 characters), got ${JSON.stringify(v)}`,
    );
  }
  return b;
}

export function parseWebtunnelArgs(args: PtArgs): WebtunnelClientArgs {
  const urlS = argValue(args, 'url');
  if (urlS === undefined || urlS.trim() === '') {
    throw new InvalidArgsError(
      'missing url= (the https://HOST/SECRET-PATH of the webtunnel bridge)',
    );
  }
  let url: URL;
  try {
    url = new URL(urlS.trim());
  } catch {
    throw new InvalidArgsError(`url= is not a URL: ${JSON.stringify(urlS)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidArgsError(
      `url= must be https:// or http://, got ${JSON.stringify(url.protocol)}`,
    );
  }
  const tls = url.protocol === 'https:';
  // URL keeps IPv6 literals in brackets; everything else wants the bare address.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (hostname === '') throw new InvalidArgsError('url= has no host');
  const port = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
  const addrS = argValue(args, 'addr');
  let dial: HostPort = { host: hostname, port };
  if (addrS !== undefined) {
    try {
      dial = parseHostPort(addrS.trim());
    } catch (e) {
      throw new InvalidArgsError(`addr=: ${(e as Error).message}`);
    }
  }
  const servername = argValue(args, 'servername')?.trim();
  const imitation = argValue(args, 'sni-imitation')?.trim();
  const serverName = imitation || servername || hostname;
  const verifyName = imitation ? hostname : serverName;
  const certS = argValue(args, 'cert');
  return {
    tls,
    dial,
    dialArg: addrS === undefined ? 'url=' : 'addr=',
    serverName,
    verifyName,
    host: hostname,
    path: url.pathname === '' ? '/' : url.pathname,
    pin: certS === undefined ? null : decodePin(certS),
  };
}

/**
 * A webtunnel server's "identity" is only its URL (https://HOST/SECRET-PATH): no keys, since TLS
 * is the web server's. It is kept in webtunnel_state.json so that `steppe bridgeline` can print
 * the Bridge line again and a server started without url= finds it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgsError, PtError } from '../../errors.js';
import {
  argValue,
  ptArgs,
  type IdentityOps,
  type PtArgs,
  type TransportIdentity,
} from '../types.js';

export const STATE_FILE = 'webtunnel_state.json';
/** The webtunnel version published in bridge lines (as the webtunnel server's ver=). */
export const WEBTUNNEL_VERSION = '0.0.1';

export function parseServerUrl(s: string): URL {
  let url: URL;
  try {
    url = new URL(s.trim());
  } catch {
    throw new InvalidArgsError(`url=: not a URL: ${JSON.stringify(s)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidArgsError('url= must be https://HOST/SECRET-PATH');
  }
  if (url.pathname.length < 2) {
    throw new InvalidArgsError(
      'url= needs a secret path (https://HOST/SECRET-PATH), not just a host',
    );
  }
  return url;
}

export function identityFor(url: URL): TransportIdentity {
  return {
    transport: 'webtunnel',
    clientArgs: ptArgs({ url: url.href, ver: WEBTUNNEL_VERSION }),
    files: new Map([[STATE_FILE, JSON.stringify({ url: url.href }) + '\n']]),
  };
}

const MISSING_URL =
  'url= is required: ServerTransportOptions webtunnel url=https://HOST/SECRET-PATH, or keygen --url (the URL the web server in front forwards here)';

/** The saved URL in `stateDir`, or null when there is none. */
export async function readSavedUrl(stateDir: string): Promise<URL | null> {
  const file = join(stateDir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  let url: unknown;
  try {
    url = (JSON.parse(text) as { url?: unknown }).url;
  } catch {
    throw new PtError('ERR_INVALID_STATE', `${file} is not JSON`);
  }
  if (typeof url !== 'string') throw new PtError('ERR_INVALID_STATE', `${file} holds no url`);
  return parseServerUrl(url);
}

export const webtunnelIdentity: IdentityOps = {
  create(opts?: { readonly options?: PtArgs }): TransportIdentity {
    const url = opts?.options === undefined ? undefined : argValue(opts.options, 'url');
    if (url === undefined) throw new InvalidArgsError(MISSING_URL);
    return identityFor(parseServerUrl(url));
  },
  async read(stateDir: string): Promise<TransportIdentity | null> {
    const url = await readSavedUrl(stateDir);
    return url === null ? null : identityFor(url);
  },
};

/** url= from the options (saved for next time by the caller), else the saved one. */
export async function serverUrl(stateDir: string, options: PtArgs): Promise<URL> {
  const given = argValue(options, 'url');
  if (given !== undefined) return parseServerUrl(given);
  const saved = await readSavedUrl(stateDir);
  if (saved === null) throw new InvalidArgsError(MISSING_URL);
  return saved;
}

/**
 * The Extended ORPort auth cookie file (proposal 217 §4.2.1.2): exactly 64 bytes, a fixed
 * 32-byte header followed by the 32-byte cookie. tor may write it after starting the PT
 * (tor bug 15240), so it is read again for every connection.
 */
import { readFile } from 'node:fs/promises';
import { timingSafeEqual } from 'node:crypto';
import { PtError } from '../errors.js';

export const COOKIE_HEADER = Buffer.from('! Extended ORPort Auth Cookie !\x0a', 'latin1');
export const COOKIE_FILE_LENGTH = 64;

/**
 * Extracts the cookie from the file's bytes.
 * @throws PtError('ERR_EXTORPORT') on a wrong length or header.
 */
export function parseAuthCookie(file: Uint8Array): Uint8Array {
  if (file.length !== COOKIE_FILE_LENGTH) {
    throw new PtError(
      'ERR_EXTORPORT',
      `the auth cookie file is ${file.length} bytes, expected ${COOKIE_FILE_LENGTH}`,
    );
  }
  if (!timingSafeEqual(file.subarray(0, 32), COOKIE_HEADER)) {
    throw new PtError(
      'ERR_EXTORPORT',
      'the auth cookie file lacks the "! Extended ORPort Auth Cookie !" header',
    );
  }
  return new Uint8Array(file.subarray(32, 64));
}

/**
 * Reads and validates TOR_PT_AUTH_COOKIE_FILE.
 * @param what names the setting in messages (standalone: "--ext-cookie-file").
 * @throws PtError('ERR_EXTORPORT') naming the file and the problem.
 */
export async function readAuthCookieFile(
  path: string,
  what = 'TOR_PT_AUTH_COOKIE_FILE',
): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new PtError('ERR_EXTORPORT', `cannot read ${what} ${JSON.stringify(path)}: ${code}`, {
      cause: e,
    });
  }
  try {
    return parseAuthCookie(bytes);
  } catch (e) {
    throw new PtError('ERR_EXTORPORT', `${what} ${JSON.stringify(path)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

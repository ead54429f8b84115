import { readFile } from 'node:fs/promises';
import { PtError } from '../errors.js';

/**
 * The text of a state file, or null when it does not exist (a server then makes a new identity).
 * @throws PtError('ERR_INVALID_STATE') when it exists but cannot be read.
 */
export async function readStateFile(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PtError('ERR_INVALID_STATE', `cannot read ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

// The standalone-mode documentation lives in README.md. Tests that compare help and schema
// with the docs read it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './steppe.js';

export async function docsText(): Promise<string> {
  return readFile(join(REPO_ROOT, 'README.md'), 'utf8');
}

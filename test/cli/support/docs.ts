// The standalone-mode documentation: docs/standalone.md, and README.md once the section is
// merged there. Tests that compare help and schema with the docs read both.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './steppe.js';

export async function docsText(): Promise<string> {
  const parts: string[] = [];
  for (const f of ['docs/standalone.md', 'README.md']) {
    try {
      parts.push(await readFile(join(REPO_ROOT, f), 'utf8'));
    } catch {
      // not there (yet, or any more)
    }
  }
  return parts.join('\n');
}

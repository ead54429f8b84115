// Loads JSON known-answer files from test/vectors/. Tests run from dist/test/…, and tsc does not
// copy JSON, so walk up from this module until the source tree's test/vectors is found.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function loadVectors<T>(name: string): T {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'test', 'vectors', name);
    if (existsSync(candidate)) return JSON.parse(readFileSync(candidate, 'utf8')) as T;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`test vector file ${name} not found`);
    dir = parent;
  }
}

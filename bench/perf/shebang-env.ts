/**
 * The environment bin/steppe's first line gives node (`#!/usr/bin/env -S NAME=value … node`).
 * The bench runs steppe as `node [flags] bin/steppe`, so that node flags such as --cpu-prof can
 * be passed and the bench's own node is the one measured; node skips the `#!` line, so the
 * assignments on it are applied here instead, read from the script itself rather than copied.
 */
import { readFileSync } from 'node:fs';

/** NAME=value pairs of an `env -S` line, `${NAME}` expanded from `from` (unset: empty). */
export function shebangEnv(
  script: string,
  from: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\s*\S*\benv\s+-S\s+(.*)$/.exec(first);
  const out: Record<string, string> = {};
  if (m === null) return out;
  for (const word of (m[1] ?? '').trim().split(/\s+/)) {
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(word);
    if (assign === null) break; // the command: assignments only come before it
    out[assign[1] ?? ''] = (assign[2] ?? '').replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
      (_, name: string) => from[name] ?? '',
    );
  }
  return out;
}

// The tor testnet (../shared/tor-testnet/run.sh) for the testnet suites: whether it can run
// here, and one run with its RESULT line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RUN_SH = fileURLToPath(
  new URL('../../../../shared/tor-testnet/run.sh', import.meta.url),
);
export const STEPPE = fileURLToPath(new URL('../../../bin/steppe', import.meta.url));
export const OBFS4PROXY = '/usr/bin/obfs4proxy';
export const CI = process.env['CI'] === 'true';
export const ENABLED = CI || process.env['STEPPE_TESTNET'] === '1';

export function which(cmd: string): string | null {
  for (const dir of (process.env['PATH'] ?? '/usr/bin:/bin').split(':')) {
    const p = join(dir, cmd);
    if (existsSync(p)) return p;
  }
  return null;
}

export const missing = [
  ...['tor', 'tor-gencert', 'curl', 'python3'].filter((c) => which(c) === null),
  ...(existsSync(OBFS4PROXY) ? [] : ['obfs4proxy']),
  ...(existsSync(RUN_SH) ? [] : [RUN_SH]),
];

export const skip: string | false = !ENABLED
  ? 'the tor testnet runs only with CI=true or STEPPE_TESTNET=1'
  : missing.length > 0 && !CI
    ? `missing ${missing.join(', ')}`
    : false;

export interface RunResult {
  code: number | null;
  output: string;
  result: string;
}

export function runTestnet(env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [RUN_SH], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => (output += c));
    child.stderr.on('data', (c: string) => (output += c));
    // run.sh bounds itself (bootstrap 240 s, fetches 4 × 60 s); this is the last resort.
    const timer = setTimeout(() => child.kill('SIGTERM'), 420_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const result = output.split('\n').find((l) => l.startsWith('RESULT: ')) ?? '';
      resolve({ code, output, result });
    });
  });
}

export function assertOk(r: RunResult, what: string): void {
  if (r.code !== 0 || !r.result.startsWith('RESULT: OK')) {
    assert.fail(`${what}: run.sh exited ${r.code}\n${r.output.split('\n').slice(-80).join('\n')}`);
  }
  console.log(`${what}: ${r.result}`);
  // Nothing left behind: every PT exited when its tor closed its stdin. (A tor relay that is
  // slow to die on SIGTERM is run.sh's business, not the PT's, and is not checked.)
  const leftovers = r.output.split('\n').filter((l) => /PT process \d+ .* still alive/.test(l));
  assert.deepEqual(leftovers, [], `${what}: a PT outlived its tor`);
}

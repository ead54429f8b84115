// The tor testnet (../shared/tor-testnet/run.sh) for the testnet suites: whether it can run
// here, and one run with its RESULT line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RUN_SH = fileURLToPath(
  new URL('../../../../shared/tor-testnet/run.sh', import.meta.url),
);
export const STEPPE = fileURLToPath(new URL('../../../bin/steppe', import.meta.url));
export const OBFS4PROXY = '/usr/bin/obfs4proxy';
export const CI = process.env['CI'] === 'true';
export const ENABLED = CI || process.env['STEPPE_TESTNET'] === '1';
/** A test's bound: runTestnet may run run.sh twice, each bounded at 420 s below. */
export const TESTNET_TIMEOUT_MS = 900_000;

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
  /** The failed run before this one, when runTestnet ran run.sh twice. */
  earlier?: RunResult;
}

/**
 * A base for run.sh's block of 60 loopback ports below the kernel's ephemeral range. run.sh's own
 * default may land inside that range, where during the ten seconds before the client's tor
 * starts any port-0 listener or outgoing connection on the machine can take one of its ports
 * (seen once in CI: "Could not bind to 127.0.0.1:BASE+40: Address already in use").
 */
function basePortBelowEphemeral(): number {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
  } catch {
    // Linux's default range then.
  }
  const blocks = Math.max(1, Math.floor((low - 60 - 20_000) / 100));
  return 20_000 + Math.floor(Math.random() * blocks) * 100;
}

/**
 * Runs run.sh; a port block found busy at its start is replaced by another (a few tries). A run
 * that fails otherwise is run once more on a new network: a private tor network of six tors has
 * failures of its own (consensus timing, a first circuit through a relay that is not yet usable)
 * that a PT does not cause. The first failure is printed, so a flaky pairing still shows in the
 * log; a PT that breaks the run every time still fails the test.
 */
export async function runTestnet(env: Record<string, string>): Promise<RunResult> {
  let earlier: RunResult | undefined;
  for (let attempt = 1; ; attempt++) {
    const r = await runTestnetOnce({ BASE_PORT: String(basePortBelowEphemeral()), ...env });
    if (attempt < 5 && /some port in \d+\.\.\d+ is busy/.test(r.output)) continue;
    if (earlier !== undefined) return { ...r, earlier };
    if (passed(r)) return r;
    earlier = r;
    console.log(`testnet run failed, running it once more on a new network:\n${summary(r)}`);
  }
}

function passed(r: RunResult): boolean {
  return r.code === 0 && r.result.startsWith('RESULT: OK');
}

/**
 * What a failed run did, in a few lines: run.sh's own progress lines ("[  9.9s] ..."), its
 * FAILURE line and curl's attempts, which the log tails after them would push out of a
 * truncated CI excerpt.
 */
function summary(r: RunResult): string {
  const lines = r.output.split('\n');
  const wanted = lines.filter((l) =>
    /^\[ *\d+(\.\d+)?s\] |^(FAILURE|ERROR): |^attempt \d+ for /.test(l),
  );
  return [`run.sh exited ${r.code}`, ...wanted].join('\n');
}

function runTestnetOnce(env: Record<string, string>): Promise<RunResult> {
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
  if (!passed(r)) {
    const tail = r.output.split('\n').slice(-80).join('\n');
    assert.fail(`${what}: ${summary(r)}\n----- the end of its output -----\n${tail}`);
  }
  console.log(`${what}: ${r.result}`);
  // Nothing left behind: every PT exited when its tor closed its stdin. (A tor relay that is
  // slow to die on SIGTERM is run.sh's business, not the PT's, and is not checked.)
  const leftovers = r.output.split('\n').filter((l) => /PT process \d+ .* still alive/.test(l));
  assert.deepEqual(leftovers, [], `${what}: a PT outlived its tor`);
}

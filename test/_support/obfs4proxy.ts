/**
 * Runs Debian's obfs4proxy in managed mode from environment variables, as tor would, and reads
 * its SMETHOD / CMETHOD line. Used by the interop tests; no tor involved.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const OBFS4PROXY = process.env.OBFS4PROXY ?? '/usr/bin/obfs4proxy';

/** True when obfs4proxy can run here. In CI its absence is a failure, not a skip. */
export function haveObfs4proxy(): boolean {
  const ok = spawnSync(OBFS4PROXY, ['-version']).status === 0;
  if (!ok && process.env.CI === 'true')
    throw new Error(`${OBFS4PROXY} is required in CI (apt-get install obfs4proxy)`);
  return ok;
}

export interface ManagedPt {
  child: ChildProcess;
  stateDir: string;
  /** host:port of the listener the PT reported. */
  address: { host: string; port: number };
  /** SMETHOD ARGS as a map (server only). */
  args: Map<string, string>;
  stop(): Promise<void>;
}

function parseAddr(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

async function startManaged(
  env: Record<string, string>,
  stateDir: string,
  keepState: boolean,
): Promise<ManagedPt> {
  const child = spawn(OBFS4PROXY, ['-enableLogging', '-logLevel', 'DEBUG'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_STATE_LOCATION: stateDir,
      TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const found = await new Promise<{ addr: string; args: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('obfs4proxy did not report a method within 10 s')),
      10_000,
    );
    child.once('exit', (c) =>
      reject(new Error(`obfs4proxy exited (${c}) before reporting a method`)),
    );
    lines.on('line', (line) => {
      const m = /^(?:SMETHOD obfs4 (\S+)(?: ARGS:(\S*))?|CMETHOD obfs4 socks5 (\S+))$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ addr: m[1] ?? m[3]!, args: m[2] ?? '' });
      } else if (/ERROR/.test(line)) {
        clearTimeout(timer);
        reject(new Error(`obfs4proxy: ${line}`));
      }
    });
  });
  const args = new Map<string, string>();
  for (const kv of found.args.split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    args.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return {
    child,
    stateDir,
    address: parseAddr(found.addr),
    args,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.stdin.end(); // TOR_PT_EXIT_ON_STDIN_CLOSE
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      if (!keepState) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** obfs4proxy as a bridge: obfs4 on 127.0.0.1:<random>, forwarding to orPort. */
export function startObfs4proxyServer(opts: {
  orPort: number;
  iatMode?: number;
  stateDir?: string;
}): Promise<ManagedPt> {
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'steppe-o4s-'));
  return startManaged(
    {
      TOR_PT_SERVER_TRANSPORTS: 'obfs4',
      TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
      TOR_PT_ORPORT: `127.0.0.1:${opts.orPort}`,
      TOR_PT_SERVER_TRANSPORT_OPTIONS: `obfs4:iat-mode=${opts.iatMode ?? 0}`,
    },
    stateDir,
    opts.stateDir !== undefined,
  );
}

/** obfs4proxy as a client: a SOCKS5 listener taking cert=...;iat-mode=N as username. */
export function startObfs4proxyClient(): Promise<ManagedPt> {
  const stateDir = mkdtempSync(join(tmpdir(), 'steppe-o4c-'));
  return startManaged({ TOR_PT_CLIENT_TRANSPORTS: 'obfs4' }, stateDir, false);
}

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
      const m = /^(?:SMETHOD \w+ (\S+)(?: ARGS:(\S*))?|CMETHOD \w+ socks5 (\S+))$/.exec(line);
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

/**
 * obfs4proxy as a bridge: `transport` (default obfs4) on 127.0.0.1:<random>, forwarding to
 * orPort.
 */
export function startObfs4proxyServer(opts: {
  orPort: number;
  iatMode?: number;
  stateDir?: string;
  transport?: 'obfs4' | 'obfs3' | 'obfs2';
}): Promise<ManagedPt> {
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'steppe-o4s-'));
  const transport = opts.transport ?? 'obfs4';
  return startManaged(
    {
      TOR_PT_SERVER_TRANSPORTS: transport,
      TOR_PT_SERVER_BINDADDR: `${transport}-127.0.0.1:0`,
      TOR_PT_ORPORT: `127.0.0.1:${opts.orPort}`,
      ...(transport === 'obfs4'
        ? { TOR_PT_SERVER_TRANSPORT_OPTIONS: `obfs4:iat-mode=${opts.iatMode ?? 0}` }
        : {}),
    },
    stateDir,
    opts.stateDir !== undefined,
  );
}

/**
 * obfs4proxy as a client: a SOCKS5 listener for `transport` (default obfs4; its args, such as
 * cert=...;iat-mode=N or password=..., go in the username). `stateDir` keeps its state (the
 * ScrambleSuit ticket store) across restarts; without it a fresh one is removed on stop.
 */
export function startObfs4proxyClient(
  transport: 'obfs4' | 'obfs3' | 'obfs2' | 'scramblesuit' = 'obfs4',
  stateDir?: string,
): Promise<ManagedPt> {
  const dir = stateDir ?? mkdtempSync(join(tmpdir(), 'steppe-o4c-'));
  return startManaged({ TOR_PT_CLIENT_TRANSPORTS: transport }, dir, stateDir !== undefined);
}

import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackChild } from './children.js';
import { childPeer, PeerWatch, StderrLog, type Peer } from './peers.js';
import { connectTcp, echoCheck, readExactly, runAttempt, serveEcho } from './session.js';
import type { Endpoint, RunningTraffic, TrafficKind } from './types.js';

/** Debian's obfs4proxy, the reference implementation (0.0.14). */
export const OBFS4PROXY = process.env.STEPPE_OBFS4PROXY ?? '/usr/bin/obfs4proxy';

export async function obfs4proxyAvailable(): Promise<true | string> {
  try {
    await access(OBFS4PROXY, constants.X_OK);
    return true;
  } catch {
    return `${OBFS4PROXY} is not installed (apt-get install obfs4proxy)`;
  }
}

interface Managed {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly stderr: StderrLog;
}

/**
 * Starts obfs4proxy in managed mode and waits for its METHODS DONE line. stdin stays open: with
 * TOR_PT_EXIT_ON_STDIN_CLOSE the process ends when we close it (or when this process dies).
 */
async function spawnManaged(
  env: Record<string, string>,
  done: RegExp,
  timeoutMs = 15_000,
): Promise<Managed> {
  const child = spawn(OBFS4PROXY, [], {
    env: { ...env, TOR_PT_MANAGED_TRANSPORT_VER: '1', TOR_PT_EXIT_ON_STDIN_CLOSE: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackChild(child);
  // Kept for the report when it dies (its panic line); a child that died must not EPIPE us.
  const stderr = new StderrLog(child);
  child.stdin?.on('error', () => {});
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => fail(new Error('obfs4proxy did not finish its setup')),
      timeoutMs,
    );
    const fail = (e: Error): void => {
      clearTimeout(timer);
      child.kill();
      reject(e);
    };
    child.once('error', fail);
    child.once('exit', (code) =>
      fail(new Error(`obfs4proxy exited (${code}): ${lines.join(' | ')}`)),
    );
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        lines.push(line);
        if (/ERROR/.test(line)) return fail(new Error(`obfs4proxy: ${line}`));
        if (done.test(line)) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          child.removeAllListeners('error');
          child.on('error', () => {});
          resolve();
        }
      }
    });
  });
  return { child, lines, stderr };
}

async function stop(m: Managed): Promise<void> {
  if (m.child.exitCode !== null || m.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => m.child.once('exit', () => r()));
  m.child.stdin?.end();
  const t = setTimeout(() => m.child.kill('SIGKILL'), 3000);
  m.child.kill('SIGTERM');
  await exited;
  clearTimeout(t);
}

export interface Obfs4proxyServer {
  readonly endpoint: Endpoint;
  readonly cert: string;
  readonly iatMode: number;
  readonly pid: number;
  /** Holds obfs4_state.json (the identity), until close(). */
  readonly stateDir: string;
  /** Down when the process exited or its bridge port stopped accepting. */
  readonly peer: Peer;
  close(): Promise<void>;
}

/**
 * obfs4proxy as a bridge: its ORPort is `orport` (an echo server when omitted). `stateFrom` copies
 * an existing obfs4_state.json (steppe writes the same format) so both implementations can run
 * with the same identity and drbg-seed, hence the same per-bridge close delay.
 */
export async function startObfs4proxyServer(
  opts: {
    iatMode?: number;
    orport?: Endpoint;
    stateFrom?: string;
    /** obfs4 (default), or obfs3 / obfs2, which have no identity: cert is then ''. */
    transport?: 'obfs4' | 'obfs3' | 'obfs2';
  } = {},
): Promise<Obfs4proxyServer> {
  const transport = opts.transport ?? 'obfs4';
  const stateDir = await mkdtemp(join(tmpdir(), 'steppe-bench-obfs4proxy-'));
  if (opts.stateFrom)
    await cp(join(opts.stateFrom, 'obfs4_state.json'), join(stateDir, 'obfs4_state.json'));
  let echo: ReturnType<typeof createServer> | undefined;
  let orport = opts.orport;
  const echoSockets = new Set<Socket>();
  if (orport === undefined) {
    echo = createServer((s) => {
      echoSockets.add(s);
      s.once('close', () => echoSockets.delete(s));
      serveEcho(s);
    });
    await new Promise<void>((r) => echo!.listen(0, '127.0.0.1', r));
    orport = { host: '127.0.0.1', port: (echo.address() as AddressInfo).port };
  }
  const env: Record<string, string> = {
    TOR_PT_SERVER_TRANSPORTS: transport,
    TOR_PT_SERVER_BINDADDR: `${transport}-127.0.0.1:0`,
    TOR_PT_ORPORT: `${orport.host}:${orport.port}`,
    TOR_PT_STATE_LOCATION: stateDir,
  };
  if (opts.iatMode !== undefined && transport === 'obfs4')
    env.TOR_PT_SERVER_TRANSPORT_OPTIONS = `obfs4:iat-mode=${opts.iatMode}`;
  let m: Managed;
  try {
    m = await spawnManaged(env, /^SMETHODS DONE/);
  } catch (e) {
    echo?.close();
    await rm(stateDir, { recursive: true, force: true });
    throw e;
  }
  const line = m.lines.find((l) => l.startsWith(`SMETHOD ${transport} `)) ?? '';
  const addr = /^SMETHOD \w+ ([\d.]+):(\d+)/.exec(line);
  const cert = transport === 'obfs4' ? /cert=([A-Za-z0-9+/]{70})/.exec(line)?.[1] : '';
  const iat = Number(/iat-mode=(\d)/.exec(line)?.[1] ?? 0);
  if (!addr || cert === undefined) {
    await stop(m);
    throw new Error(`unexpected SMETHOD line: ${line}`);
  }
  const endpoint = { host: addr[1]!, port: Number(addr[2]) };
  return {
    endpoint,
    cert,
    iatMode: iat,
    pid: m.child.pid ?? -1,
    stateDir,
    peer: childPeer('obfs4proxy server', m.child, m.stderr, () => endpoint),
    async close() {
      await stop(m);
      for (const s of echoSockets) s.destroy();
      await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface Obfs4proxyClient {
  readonly socks: Endpoint;
  readonly pid: number;
  /** Down when the process exited or its SOCKS port stopped accepting. */
  readonly peer: Peer;
  close(): Promise<void>;
}

/** obfs4proxy as a client: a SOCKS5 listener that takes the bridge line in its credentials. */
export async function startObfs4proxyClient(
  transport: 'obfs4' | 'obfs3' | 'obfs2' = 'obfs4',
): Promise<Obfs4proxyClient> {
  const stateDir = await mkdtemp(join(tmpdir(), 'steppe-bench-obfs4proxy-c-'));
  const m = await spawnManaged(
    { TOR_PT_CLIENT_TRANSPORTS: transport, TOR_PT_STATE_LOCATION: stateDir },
    /^CMETHODS DONE/,
  );
  const line = m.lines.find((l) => l.startsWith(`CMETHOD ${transport} `)) ?? '';
  const addr = /socks5 ([\d.]+):(\d+)/.exec(line);
  if (!addr) {
    await stop(m);
    throw new Error(`unexpected CMETHOD line: ${line}`);
  }
  const socks = { host: addr[1]!, port: Number(addr[2]) };
  return {
    socks,
    pid: m.child.pid ?? -1,
    peer: childPeer('obfs4proxy client', m.child, m.stderr, () => socks),
    async close() {
      await stop(m);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * SOCKS5 CONNECT with pt-spec argument passing: the k=v;k=v list rides in the RFC 1929 username
 * (and password when longer than 255 bytes; otherwise the password is a single NUL).
 */
export async function socks5Connect(
  socks: Endpoint,
  target: Endpoint,
  args: string,
  signal: AbortSignal,
): Promise<Socket> {
  const s = await connectTcp(socks, { signal });
  try {
    // No args (obfs3, obfs2): "no authentication", as tor asks; RFC 1929 has no empty username.
    const method = args === '' ? 0 : 2;
    s.write(Buffer.from([5, 1, method]));
    const m = await readExactly(s, 2, signal);
    if (m[0] !== 5 || m[1] !== method) throw new Error(`SOCKS5 server refused method ${method}`);
    if (method === 2) {
      const a = Buffer.from(args, 'utf8');
      const user = a.subarray(0, 255);
      const pass = a.length > 255 ? a.subarray(255) : Buffer.from([0]);
      s.write(
        Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]),
      );
      const auth = await readExactly(s, 2, signal);
      if (auth[1] !== 0) throw new Error('SOCKS5 auth rejected (bad bridge args?)');
    }
    const port = Buffer.alloc(2);
    port.writeUInt16BE(target.port);
    const ip = Buffer.from(target.host.split('.').map(Number));
    s.write(Buffer.concat([Buffer.from([5, 1, 0, 1]), ip, port]));
    const rep = await readExactly(s, 10, signal);
    if (rep[1] !== 0) throw new Error(`SOCKS5 CONNECT failed with reply ${rep[1]}`);
    return s;
  } catch (e) {
    s.destroy();
    throw e;
  }
}

/** The obfs4proxy_state a steppe server wrote, read back (for reports). */
export async function readStateFile(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, 'obfs4_state.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

/**
 * Reference rows: obfs4proxy client and server. Every session comes from 127.0.0.1 (the obfs4proxy
 * client chooses its own source address), so residual rules keyed on the client see one client.
 */
export function obfs4proxyReference(iatMode: 0 | 1 | 2): TrafficKind {
  return {
    id: `obfs4proxy-iat${iatMode}`,
    label: `obfs4 iat-mode=${iatMode} (obfs4proxy 0.0.14, reference)`,
    group: 'reference',
    available: obfs4proxyAvailable,
    async start(): Promise<RunningTraffic> {
      let server = await startObfs4proxyServer({ iatMode });
      let client: Obfs4proxyClient;
      try {
        client = await startObfs4proxyClient();
      } catch (e) {
        await server.close();
        throw e;
      }
      // The identity survives a restart (the state file is copied), so the bridge line does too.
      const args = `cert=${server.cert};iat-mode=${iatMode}`;
      const peers = new PeerWatch(
        () => [server.peer, client.peer],
        async () => {
          if ((await server.peer.health()) !== undefined) {
            const next = await startObfs4proxyServer({ iatMode, stateFrom: server.stateDir });
            await server.close();
            server = next;
          }
          if ((await client.peer.health()) !== undefined) {
            const next = await startObfs4proxyClient();
            await client.close();
            client = next;
          }
        },
      );
      return {
        get target() {
          return server.endpoint;
        },
        description: `Bridge obfs4 ${server.endpoint.host}:${server.endpoint.port} cert=${server.cert} iat-mode=${iatMode}`,
        peers,
        attempt: (via, a) =>
          runAttempt(a.timeoutMs, async ({ signal, stage, own, count }) => {
            stage('handshake');
            // obfs4proxy answers SOCKS only after its obfs4 handshake through `via` succeeded.
            const s = await socks5Connect(client.socks, via, args, signal);
            own(s);
            stage('data');
            const r = await echoCheck(s, a.bytes ?? 32 * 1024, signal);
            count(r.sent, r.received);
          }),
        authenticatedProbe: async (target, signal) => {
          try {
            const s = await socks5Connect(client.socks, target, args, signal);
            s.destroy();
            return true;
          } catch {
            return false;
          }
        },
        async close() {
          await client.close();
          await server.close();
        },
      };
    },
  };
}

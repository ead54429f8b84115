import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackChild } from './children.js';
import type { AttemptResult, Endpoint, RunningTraffic, TrafficKind } from './types.js';

/**
 * Real tor through the middlebox: a tor bridge and, per session, a fresh tor client whose only
 * bridge is the middlebox's address. A session passes when the client reports
 * "Bootstrapped 15% (handshake_done)": TCP, TLS and Tor's link handshake (VERSIONS, CERTS,
 * NETINFO) all went through the censor. With `obfs4`, both tors run steppe as their managed
 * pluggable transport.
 *
 * Loopback only, by construction: every tor gets `TestingTorNetwork 1` with a single fake
 * directory authority on a closed loopback port (so nothing ever asks the public authorities),
 * `OutboundBindAddress 127.0.0.1` (a socket bound to 127.0.0.1 cannot reach anything off this
 * machine), listeners on 127.0.0.1 only, and IPv6 off.
 */

const STEPPE_BIN = fileURLToPath(new URL('../../../../../bin/steppe', import.meta.url));

const SAFE_COMMON = [
  'TestingTorNetwork 1',
  // A fake authority on a closed loopback port: a tor that wants a consensus asks here and fails.
  'DirAuthority fakeauth orport=9 no-v2 v3ident=0000000000000000000000000000000000000001 127.0.0.1:7 0000000000000000000000000000000000000002',
  'ClientUseIPv6 0',
  'AvoidDiskWrites 1',
  'Log notice stdout',
  'SocksPort 0',
];

async function findTor(): Promise<string | undefined> {
  const cands = [
    process.env.STEPPE_TOR,
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'tor')),
  ];
  for (const c of cands) {
    if (!c) continue;
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

const exits = new WeakMap<ChildProcess, Promise<void>>();

/** Spawns tor and resolves once a stdout line matches `ready` (rejects on exit or timeout). */
function spawnTor(
  tor: string,
  torrc: string,
  ready: RegExp,
  timeoutMs: number,
): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(tor, ['-f', torrc], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  // Registered once, never removed: stopTor can always tell when the process is gone.
  exits.set(child, new Promise((r) => child.once('exit', () => r())));
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buf = '';
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // On failure the process is gone before the caller hears of it (it may remove the data dir).
      if (err) void stopTor(child).then(() => reject(err));
      else resolve({ child, lines });
    };
    const timer = setTimeout(
      () =>
        settle(
          new Error(`tor did not get there in ${timeoutMs} ms: ${lines.slice(-2).join(' | ')}`),
        ),
      timeoutMs,
    );
    child.once('error', (e) => settle(e));
    void exits
      .get(child)!
      .then(() => settle(new Error(`tor exited: ${lines.slice(-3).join(' | ')}`)));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (lines.length < 500) lines.push(line);
        if (ready.test(line)) settle();
      }
    });
    child.stderr.resume();
  });
}

/** SIGTERM, then SIGKILL after 3 s; never waits longer than 6 s. */
async function stopTor(child: ChildProcess): Promise<void> {
  const exited = exits.get(child) ?? Promise.resolve();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
  await Promise.race([exited, new Promise((r) => setTimeout(r, 6000))]);
  clearTimeout(kill);
}

export interface RealTorOptions {
  /** Run steppe as the managed obfs4 transport on both sides. */
  readonly obfs4: boolean;
  /** Per-session limit; tor needs a few seconds to start. */
  readonly sessionTimeoutMs?: number;
}

/** Rows "tor (real)" and "tor over steppe obfs4 (real)". */
export function realTor(o: RealTorOptions): TrafficKind {
  const minTimeout = o.sessionTimeoutMs ?? 20_000;
  return {
    id: o.obfs4 ? 'tor-real-obfs4' : 'tor-real',
    label: o.obfs4 ? 'real tor over steppe obfs4' : 'real tor (vanilla bridge)',
    group: 'tor',
    minTimeoutMs: minTimeout,
    optIn: true,
    maxFlows: 20,
    async available() {
      return (await findTor()) !== undefined ? true : 'tor is not installed (apt-get install tor)';
    },
    async start(): Promise<RunningTraffic> {
      const tor = (await findTor())!;
      const dir = await mkdtemp(join(tmpdir(), 'steppe-bench-tor-'));
      const orPort = await freePort();
      const ptPort = await freePort();
      const extPort = await freePort();
      const bridgeRc = join(dir, 'bridge.torrc');
      await writeFile(
        bridgeRc,
        [
          ...SAFE_COMMON,
          `DataDirectory ${join(dir, 'bridge')}`,
          'OutboundBindAddress 127.0.0.1',
          `ORPort 127.0.0.1:${orPort}`,
          'Address 127.0.0.1',
          'BridgeRelay 1',
          'PublishServerDescriptor 0',
          'AssumeReachable 1',
          'ExitRelay 0',
          'ExitPolicy reject *:*',
          ...(o.obfs4
            ? [
                `ServerTransportPlugin obfs4 exec ${process.execPath} ${STEPPE_BIN}`,
                `ServerTransportListenAddr obfs4 127.0.0.1:${ptPort}`,
                `ExtORPort 127.0.0.1:${extPort}`,
              ]
            : []),
        ].join('\n') + '\n',
      );
      let bridge: ChildProcess;
      try {
        ({ child: bridge } = await spawnTor(
          tor,
          bridgeRc,
          o.obfs4
            ? /Registered server transport 'obfs4'/
            : /Bootstrapped 5%|Self-testing indicates|Now checking whether/,
          60_000,
        ));
      } catch (e) {
        await rm(dir, { recursive: true, force: true });
        throw e;
      }
      const fp =
        (await readFile(join(dir, 'bridge', 'fingerprint'), 'utf8')).trim().split(' ')[1] ?? '';
      let cert = '';
      if (o.obfs4) {
        const line =
          (await readFile(join(dir, 'bridge', 'pt_state', 'obfs4_bridgeline.txt'), 'utf8'))
            .trim()
            .split('\n')
            .pop() ?? '';
        cert = /cert=(\S+)/.exec(line)?.[1] ?? '';
      }
      const target: Endpoint = { host: '127.0.0.1', port: o.obfs4 ? ptPort : orPort };
      const clients = new Set<ChildProcess>();
      let n = 0;
      const bridgeLine = (via: Endpoint): string =>
        o.obfs4
          ? `obfs4 ${via.host}:${via.port} ${fp} cert=${cert} iat-mode=0`
          : `${via.host}:${via.port} ${fp}`;
      return {
        target,
        description: `Bridge ${bridgeLine(target)}`,
        async attempt(via, a): Promise<AttemptResult> {
          const t0 = performance.now();
          const cdir = join(dir, `client-${++n}`);
          const rc = `${cdir}.torrc`;
          const from = a.localAddress ?? '127.0.0.1';
          await writeFile(
            rc,
            [
              ...SAFE_COMMON,
              `DataDirectory ${cdir}`,
              `OutboundBindAddress ${from}`,
              `OutboundBindAddressPT ${from}`,
              'UseBridges 1',
              `Bridge ${bridgeLine(via)}`,
              ...(o.obfs4
                ? [`ClientTransportPlugin obfs4 exec ${process.execPath} ${STEPPE_BIN}`]
                : []),
            ].join('\n') + '\n',
          );
          let child: ChildProcess | undefined;
          try {
            const r = await spawnTor(
              tor,
              rc,
              /Bootstrapped (1[5-9]|[2-9]\d|100)%/,
              Math.max(a.timeoutMs, minTimeout),
            );
            child = r.child;
            clients.add(child);
            return {
              ok: true,
              stage: 'done',
              ms: performance.now() - t0,
              bytesSent: 0,
              bytesReceived: 0,
            };
          } catch (e) {
            return {
              ok: false,
              stage: 'handshake',
              ms: performance.now() - t0,
              bytesSent: 0,
              bytesReceived: 0,
              error: e instanceof Error ? e.message : String(e),
            };
          } finally {
            if (child) {
              await stopTor(child);
              clients.delete(child);
            }
            await rm(cdir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
          }
        },
        async close() {
          await Promise.all([...clients].map(stopTor));
          await stopTor(bridge);
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

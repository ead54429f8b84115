/**
 * Starts a client PT and a server PT in managed mode, exactly as tor would (environment variables,
 * stdout lines, stdin kept open with TOR_PT_EXIT_ON_STDIN_CLOSE=1), and connects through them. The
 * same code drives steppe and obfs4proxy, so any difference in the numbers is the PTs'.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, rssKiB } from './proc.js';
import { shebangEnv } from './shebang-env.js';
import { encodeClientArgs, socksDial, type Endpoint } from './socks.js';
import { ALLOW_PRIVATE_ENV } from '../../src/transports/webtunnel/dial-guard.js';
import { WEBTUNNEL_URL, type BenchTls } from './tls-front.js';

/** One implementation of the obfs4 PT: how to start it. */
export interface Impl {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Set in its environment on top of the bench's own (before the TOR_PT_* variables). */
  readonly env?: Readonly<Record<string, string>>;
  /** steppe only: the checkout whose bin/steppe runs (for the report's header). */
  readonly checkout?: string;
}

/** The checkout this bench belongs to. */
export const OWN_CHECKOUT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/**
 * steppe's managed mode, run by this Node binary with the environment bin/steppe's first line
 * sets when tor executes it; nodeArgs e.g. ['--cpu-prof', ...]; `checkout` another built one.
 */
export function steppeImpl(nodeArgs: readonly string[] = [], checkout = OWN_CHECKOUT): Impl {
  const bin = join(checkout, 'bin', 'steppe');
  return {
    name: 'steppe',
    command: process.execPath,
    args: [...nodeArgs, bin],
    env: shebangEnv(bin),
    checkout,
  };
}

export function obfs4proxyImpl(path = '/usr/bin/obfs4proxy'): Impl {
  return { name: 'obfs4proxy', command: path, args: [] };
}

/** The server identity file of obfs4proxy (and steppe, which reads the same format). */
export const STATE_FILE = 'obfs4_state.json';

/** Every PT child still alive, so that the harness can kill them by PID when it exits. */
const live = new Set<ChildProcess>();

/** Kills every PT this harness started (SIGKILL by PID). Safe to call from an 'exit' handler. */
export function killAllPts(): void {
  for (const c of live) {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  live.clear();
}

/** Splits goptlib's ARGS:k=v,k=v with backslash escapes into a map. */
export function parseSmethodArgs(s: string): Map<string, string> {
  const out = new Map<string, string>();
  let key = '';
  let val = '';
  let inVal = false;
  for (let i = 0; i < s.length; i++) {
    let c = s[i] ?? '';
    if (c === '\\' && i + 1 < s.length) {
      c = s[++i] ?? '';
    } else if (c === '=' && !inVal) {
      inVal = true;
      continue;
    } else if (c === ',') {
      out.set(key, val);
      key = '';
      val = '';
      inVal = false;
      continue;
    }
    if (inVal) val += c;
    else key += c;
  }
  if (key !== '') out.set(key, val);
  return out;
}

/** A free loopback port (bind to 0, read, close; a tiny race that loopback benches can afford). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A managed PT child: its PID, its stdout lines, the tail of its stderr, and a clean stop. */
export class PtProcess {
  readonly child: ChildProcess;
  readonly stateDir: string;
  readonly lines: string[] = [];
  private stderrTail = '';
  /** Go prints `panic: <why>` first and then pages of goroutine stacks: keep the start too. */
  private stderrHead = '';
  private exited: Promise<void>;

  constructor(
    readonly impl: Impl,
    readonly role: 'client' | 'server',
    env: Record<string, string>,
    /** Files to place in the state directory before the PT starts (e.g. obfs4_state.json). */
    files: Record<string, string> = {},
  ) {
    this.stateDir = mkdtempSync(join(tmpdir(), `steppe-perf-${impl.name}-${role}-`));
    for (const [name, body] of Object.entries(files))
      writeFileSync(join(this.stateDir, name), body);
    const base: Record<string, string> = {};
    // Pass the ordinary environment through but never a stray TOR_PT_* from the caller.
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !k.startsWith('TOR_PT_')) base[k] = v;
    }
    this.child = spawn(impl.command, [...impl.args], {
      env: {
        ...base,
        ...impl.env,
        TOR_PT_MANAGED_TRANSPORT_VER: '1',
        TOR_PT_STATE_LOCATION: this.stateDir,
        TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => {
        live.delete(this.child);
        resolve();
      });
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (s: string) => {
      if (this.stderrHead.length < 2000) this.stderrHead = (this.stderrHead + s).slice(0, 2000);
      this.stderrTail = (this.stderrTail + s).slice(-4000);
    });
    // Writing to a child that died would otherwise be an unhandled EPIPE.
    this.child.stdin?.on('error', () => {});
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  /** A one-line reason for an unexpected exit: the panic or error line, else the exit status. */
  get deathReason(): string {
    const text = this.stderrHead + this.stderrTail;
    const line = /^(panic: .*|fatal error: .*|.*Error: .*)$/m.exec(text)?.[1];
    const status = this.child.exitCode ?? this.child.signalCode ?? 'still running';
    return `${this.role} exited (${status})${line ? `: ${line.trim()}` : ''}`;
  }

  /** Resolves with the stdout lines up to `done` (e.g. SMETHODS DONE); rejects on *-ERROR lines. */
  waitForLines(done: string, timeoutMs: number): Promise<string[]> {
    return new Promise((resolve, reject) => {
      let buf = '';
      const fail = (why: string): void => {
        clearTimeout(timer);
        reject(
          new Error(
            `${this.impl.name} ${this.role}: ${why}\nstdout: ${this.lines.join(' | ')}\nstderr: ${this.stderrTail}`,
          ),
        );
      };
      const timer = setTimeout(() => fail(`no "${done}" within ${timeoutMs} ms`), timeoutMs);
      this.child.stdout?.setEncoding('utf8');
      this.child.stdout?.on('data', (s: string) => {
        buf += s;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trimEnd();
          buf = buf.slice(nl + 1);
          this.lines.push(line);
          if (/^(VERSION-ERROR|ENV-ERROR|PROXY-ERROR|[CS]METHOD-ERROR)\b/.test(line)) {
            fail(`reported "${line}"`);
            return;
          }
          if (line === done) {
            clearTimeout(timer);
            resolve([...this.lines]);
            return;
          }
        }
      });
      this.child.once('exit', (code, sig) => fail(`exited (${code ?? sig}) before "${done}"`));
      this.child.once('error', (err) => fail(`failed to start: ${err.message}`));
    });
  }

  cpu(): number {
    return cpuSeconds(this.pid);
  }

  rss(): number {
    return rssKiB(this.pid);
  }

  /**
   * Closes stdin (the managed-proxy way to say "exit"), then SIGTERM, then SIGKILL, each after a
   * grace period. A graceful exit matters when the PT runs under --cpu-prof: Node writes the
   * profile only on a normal exit.
   */
  async stop(graceMs = 2000): Promise<void> {
    if (this.alive) {
      this.child.stdin?.end();
      const timedOut = (ms: number): Promise<boolean> =>
        Promise.race([
          this.exited.then(() => false),
          new Promise<boolean>((r) => setTimeout(() => r(true), ms).unref()),
        ]);
      if (await timedOut(graceMs)) {
        if (this.alive) this.child.kill('SIGTERM');
        if (await timedOut(1000)) {
          if (this.alive) this.child.kill('SIGKILL');
          await this.exited;
        }
      }
    }
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/**
 * The transports a pair can run: obfs4 and obfs3 (both implementations), scramblesuit (steppe's
 * server), webtunnel (steppe both sides, see WebtunnelSetup), dummy (steppe both sides: bytes
 * passed through untouched, for what a connection costs before any transport's work). obfs3 and
 * dummy have no identity, no args and no iat-mode.
 */
export type PairTransport = 'obfs4' | 'obfs3' | 'scramblesuit' | 'webtunnel' | 'dummy';

/**
 * How a webtunnel pair is deployed: the client always pins `tls`'s certificate. With `front`
 * (a web server such as nginx holding that certificate and proxying the secret path to
 * `serverPort`), the server speaks plain HTTP behind it and the client dials the front; without
 * it, the server terminates TLS itself with `tls` and the client dials it directly.
 */
export interface WebtunnelSetup {
  readonly tls: BenchTls;
  readonly front?: Endpoint;
  /** The server's port (fixed, so that a restarted server is where the front expects it). */
  readonly serverPort?: number;
}

export interface PairOptions {
  readonly client: Impl;
  readonly server: Impl;
  /** Default obfs4. For scramblesuit the server must be steppe (obfs4proxy has only a client). */
  readonly transport?: PairTransport;
  readonly iatMode: 0 | 1 | 2;
  /** Where the server PT forwards each connection (TOR_PT_ORPORT): the bench's sink. */
  readonly orPort: Endpoint;
  readonly startTimeoutMs?: number;
  readonly stopGraceMs?: number;
  /**
   * obfs4_state.json for the server (obfs4proxy's format, which steppe reads too). Giving both
   * sides the same bridge identity gives them the same drbg-seed, hence the same length and delay
   * distributions: then iat-mode timings and padding differ only by implementation.
   */
  readonly serverState?: string;
  /** Required for transport 'webtunnel'. */
  readonly webtunnel?: WebtunnelSetup;
}

/** The server's transport options: its URL, and its certificate when it terminates TLS itself. */
function webtunnelServerOptions(wt: WebtunnelSetup): string {
  const own = wt.front === undefined;
  return [
    `webtunnel:url=${WEBTUNNEL_URL}`,
    ...(own
      ? [`webtunnel:tls-cert=${wt.tls.certFile}`, `webtunnel:tls-key=${wt.tls.keyFile}`]
      : []),
  ].join(';');
}

/** A running client PT + server PT; `dial()` opens one tunnelled connection to the sink. */
export class PtPair {
  readonly label: string;
  client!: PtProcess;
  server!: PtProcess;
  bridge!: Endpoint;
  socks!: Endpoint;
  cert = '';
  /** The bridge's SMETHOD ARGS (obfs4: cert, iat-mode; scramblesuit: password). */
  bridgeArgs = new Map<string, string>();

  private constructor(readonly opts: PairOptions) {
    this.label =
      opts.client.name === opts.server.name
        ? opts.client.name
        : `${opts.client.name}→${opts.server.name}`;
  }

  static async start(opts: PairOptions): Promise<PtPair> {
    const pair = new PtPair(opts);
    await pair.launch();
    return pair;
  }

  get transport(): PairTransport {
    return this.opts.transport ?? 'obfs4';
  }

  private async launch(): Promise<void> {
    const timeout = this.opts.startTimeoutMs ?? 20_000;
    const t = this.transport;
    const wt = t === 'webtunnel' ? this.opts.webtunnel : undefined;
    if (t === 'webtunnel' && wt === undefined)
      throw new Error('a webtunnel pair needs its TLS setup');
    const port = wt?.serverPort ?? (await freePort());
    this.server = new PtProcess(
      this.opts.server,
      'server',
      {
        TOR_PT_SERVER_TRANSPORTS: t,
        TOR_PT_SERVER_BINDADDR: `${t}-127.0.0.1:${port}`,
        TOR_PT_ORPORT: `${this.opts.orPort.host}:${this.opts.orPort.port}`,
        // ScrambleSuit's server makes and publishes its own password.
        ...(t === 'obfs4'
          ? { TOR_PT_SERVER_TRANSPORT_OPTIONS: `obfs4:iat-mode=${this.opts.iatMode}` }
          : {}),
        ...(wt !== undefined
          ? { TOR_PT_SERVER_TRANSPORT_OPTIONS: webtunnelServerOptions(wt) }
          : {}),
      },
      t === 'obfs4' && this.opts.serverState !== undefined
        ? { [STATE_FILE]: this.opts.serverState }
        : {},
    );
    this.client = new PtProcess(this.opts.client, 'client', {
      TOR_PT_CLIENT_TRANSPORTS: t,
      // The bench's bridge is on 127.0.0.1, which the webtunnel client refuses by default.
      ...(t === 'webtunnel' ? { [ALLOW_PRIVATE_ENV]: '1' } : {}),
    });
    try {
      const [sLines, cLines] = await Promise.all([
        this.server.waitForLines('SMETHODS DONE', timeout),
        this.client.waitForLines('CMETHODS DONE', timeout),
      ]);
      const sm = sLines
        .map((l) => new RegExp(`^SMETHOD ${t} (\\S+):(\\d+)(?: ARGS:(\\S*))?`).exec(l))
        .find(Boolean);
      const cm = cLines
        .map((l) => new RegExp(`^CMETHOD ${t} socks5 (\\S+):(\\d+)`).exec(l))
        .find(Boolean);
      if (!sm) throw new Error(`${this.opts.server.name} server printed no SMETHOD ${t} line`);
      if (!cm)
        throw new Error(`${this.opts.client.name} client printed no CMETHOD ${t} socks5 line`);
      this.bridge = { host: sm[1] ?? '', port: Number(sm[2]) };
      this.socks = { host: cm[1] ?? '', port: Number(cm[2]) };
      this.bridgeArgs = parseSmethodArgs(sm[3] ?? '');
      if (t === 'scramblesuit') {
        if (!this.bridgeArgs.get('password'))
          throw new Error(`${this.opts.server.name} server printed no password`);
        return;
      }
      // obfs3, webtunnel and dummy have no identity and no iat-mode: nothing more to read.
      if (t === 'obfs3' || t === 'webtunnel' || t === 'dummy') return;
      this.cert = this.bridgeArgs.get('cert') ?? '';
      if (this.cert === '') throw new Error(`${this.opts.server.name} server printed no cert`);
      const mode = this.bridgeArgs.get('iat-mode');
      if (mode !== undefined && mode !== String(this.opts.iatMode)) {
        throw new Error(`server advertises iat-mode=${mode}, asked for ${this.opts.iatMode}`);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  get iatMode(): number {
    return this.opts.iatMode;
  }

  get alive(): boolean {
    return this.client.alive && this.server.alive;
  }

  /** The SOCKS username the client PT needs for this bridge. */
  get clientArgs(): string {
    if (this.transport === 'scramblesuit')
      return encodeClientArgs({ password: this.bridgeArgs.get('password') ?? '' });
    if (this.transport === 'obfs3' || this.transport === 'dummy') return '';
    const wt = this.opts.webtunnel;
    if (this.transport === 'webtunnel' && wt !== undefined) {
      const to = wt.front ?? this.bridge;
      return encodeClientArgs({
        url: WEBTUNNEL_URL,
        addr: `${to.host}:${to.port}`,
        cert: wt.tls.pin,
      });
    }
    return encodeClientArgs({ cert: this.cert, 'iat-mode': this.opts.iatMode });
  }

  /** One tunnelled connection; `via` replaces the bridge address (e.g. a timing relay). */
  dial(via?: Endpoint, timeoutMs?: number): Promise<Socket> {
    return socksDial(this.socks, via ?? this.bridge, this.clientArgs, timeoutMs);
  }

  /** The server's obfs4_state.json as it wrote it (to hand the same identity to other servers). */
  serverStateJson(): string {
    return readFileSync(join(this.server.stateDir, STATE_FILE), 'utf8');
  }

  /** Why a PT of this pair is dead, for the report. */
  deathReason(): string {
    return [this.client, this.server]
      .filter((p) => !p.alive)
      .map((p) => `${p.impl.name} ${p.deathReason}`)
      .join('; ');
  }

  pids(): { client: number; server: number } {
    return { client: this.client.pid, server: this.server.pid };
  }

  async stop(): Promise<void> {
    const grace = this.opts.stopGraceMs ?? 2000;
    await Promise.all([this.client?.stop(grace), this.server?.stop(grace)]);
  }
}

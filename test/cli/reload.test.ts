// SIGHUP on the standalone server and client: the log file is reopened (logrotate moves it
// away first), the config is read again, and a connection that was open all along still
// carries data, hash-checked end to end. A broken config on reload is one log line and the
// process goes on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHashEcho } from '../_support/echo.js';
import { startSteppeClient, startSteppeServer } from './support/steppe.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** Reads a file, '' when it does not exist (yet). */
async function text(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** Polls (bounded) until `path` has a line matching `re`; returns the file's lines. */
async function waitForLogLine(path: string, re: RegExp, timeoutMs = 10_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const lines = (await text(path)).split('\n').filter((l) => l !== '');
    if (lines.some((l) => re.test(l))) return lines;
    if (Date.now() > until)
      assert.fail(`${path} never got a line matching ${re}: ${lines.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One connection kept open across reloads: each round sends `size` random bytes, waits for the echo. */
class EchoConnection {
  readonly sent: Hash = createHash('sha256');
  readonly received: Hash = createHash('sha256');
  #pending = 0;
  #wake: (() => void) | null = null;

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.received.update(d);
      this.#pending -= d.length;
      if (this.#pending <= 0) this.#wake?.();
    });
  }

  static open(port: number): Promise<EchoConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => resolve(new EchoConnection(s))).once('error', reject);
    });
  }

  async round(size: number, timeoutMs = 10_000): Promise<void> {
    const data = randomBytes(size);
    this.sent.update(data);
    this.#pending += size;
    const back = new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`echo short by ${this.#pending} bytes`)),
        timeoutMs,
      );
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.socket.write(data);
    await back;
  }
}

test(
  'SIGHUP reopens the log, re-reads the config and keeps open connections',
  { timeout: 60_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-reload-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const echo = await startHashEcho();
    cleanups.push(() => echo.close());
    const serverLog = join(dir, 'server.log');
    const config = join(dir, 'server.toml');
    const goodConfig = `forward = "127.0.0.1:${echo.port}"\nlog-level = "info"\nlog-file = ${JSON.stringify(serverLog)}\n`;
    await writeFile(config, goodConfig);
    const server = await startSteppeServer(['--state', join(dir, 'state'), '--config', config]);
    cleanups.push(() => server.p.stop());
    const clientLog = join(dir, 'client.log');
    // The client has no config file: SIGHUP still reopens the log its flags name.
    const client = await startSteppeClient([
      '--connect',
      server.share,
      '--listen',
      '127.0.0.1:0',
      '--log-level',
      'info',
      '--log-file',
      clientLog,
    ]);
    cleanups.push(() => client.p.stop());

    const conn = await EchoConnection.open(client.port);
    await conn.round(64 * 1024);
    await waitForLogLine(serverLog, /- forwarding/);

    // logrotate's default: move the file away, then signal.
    await rename(serverLog, `${serverLog}.1`);
    await rename(clientLog, `${clientLog}.1`);
    server.p.proc.kill('SIGHUP');
    client.p.proc.kill('SIGHUP');
    await waitForLogLine(serverLog, /SIGHUP: reloaded settings from .*server\.toml; log reopened/);
    await waitForLogLine(clientLog, /SIGHUP: reloaded settings from flags/);
    const rotated = await text(`${serverLog}.1`);

    await conn.round(64 * 1024);
    // A new connection is logged in the new file, and nothing more reaches the rotated one.
    const second = await EchoConnection.open(client.port);
    await second.round(1000);
    second.socket.end();
    await waitForLogLine(serverLog, /- forwarding/);
    assert.equal(await text(`${serverLog}.1`), rotated);

    // A broken config: one error line, the old settings stay (still logging at info to the file).
    await writeFile(config, 'log-level = [\n');
    server.p.proc.kill('SIGHUP');
    const lines = await waitForLogLine(serverLog, /reload failed/);
    const failures = lines.filter((l) => /reload failed/.test(l));
    assert.equal(failures.length, 1);
    assert.match(
      failures[0] ?? '',
      /still running with the previous settings: config .*server\.toml: not valid TOML at line 2/,
    );
    await conn.round(64 * 1024);
    assert.equal(server.p.proc.exitCode, null);

    // A setting that needs a restart is named, not applied: the connection still reaches the echo.
    await writeFile(config, goodConfig.replace(`127.0.0.1:${echo.port}`, '127.0.0.1:9'));
    server.p.proc.kill('SIGHUP');
    await waitForLogLine(
      serverLog,
      /SIGHUP: forward changed in the config; steppe server goes on with the old value/,
    );
    const third = await EchoConnection.open(client.port);
    await third.round(1000);
    third.socket.end();

    await conn.round(1000);
    const sentSha = conn.sent.digest('hex');
    assert.equal(conn.received.digest('hex'), sentSha);
    conn.socket.end();
    const until = Date.now() + 10_000;
    while (!echo.received.includes(sentSha)) {
      if (Date.now() > until)
        assert.fail('the echo service never saw the long-lived connection end');
      await new Promise((r) => setTimeout(r, 20));
    }
  },
);

test(
  'SIGHUP with --workers: every worker reopens the log too; none writes to the rotated file',
  { timeout: 60_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-reload-workers-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const echo = await startHashEcho();
    cleanups.push(() => echo.close());
    const serverLog = join(dir, 'server.log');
    const server = await startSteppeServer([
      '--state',
      join(dir, 'state'),
      '--forward',
      `127.0.0.1:${echo.port}`,
      '--workers',
      '2',
      '--log-level',
      'info',
      '--log-file',
      serverLog,
    ]);
    cleanups.push(() => server.p.stop());
    const client = await startSteppeClient(['--connect', server.share, '--listen', '127.0.0.1:0']);
    cleanups.push(() => client.p.stop());

    /** Connections enough for the primary's round robin to reach both workers. */
    const fourConnections = async (): Promise<void> => {
      for (let i = 0; i < 4; i++) {
        const c = await EchoConnection.open(client.port);
        await c.round(1000);
        c.socket.end();
      }
    };
    const long = await EchoConnection.open(client.port);
    await long.round(64 * 1024);
    await fourConnections();
    await waitForLogLine(serverLog, /worker 0: .*- forwarding/);
    await waitForLogLine(serverLog, /worker 1: .*- forwarding/);

    await rename(serverLog, `${serverLog}.1`);
    server.p.proc.kill('SIGHUP');
    await waitForLogLine(serverLog, /SIGHUP: reloaded settings from flags/);
    const rotated = await text(`${serverLog}.1`);
    await fourConnections();
    await long.round(64 * 1024);
    await waitForLogLine(serverLog, /worker 0: .*- forwarding/);
    await waitForLogLine(serverLog, /worker 1: .*- forwarding/);
    assert.equal(await text(`${serverLog}.1`), rotated, 'a worker wrote to the rotated file');
    assert.equal(long.received.digest('hex'), long.sent.digest('hex'));
    long.socket.end();
  },
);

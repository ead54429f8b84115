import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { obfs4, type Obfs4ServerOptions } from '../../../src/transports/obfs4/index.js';
import { PtError } from '../../../src/errors.js';
import { echoTransfer } from '../../_support/transfer.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'steppe-obfs4-'));
  dirs.push(d);
  return d;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface EchoBridge {
  server: Server;
  port: number;
  cert: string;
  serverSockets: Socket[];
  failures: PtError[];
  close(): Promise<void>;
}

/** A steppe obfs4 server whose streams echo what they receive. */
async function echoBridge(
  opts: Partial<Obfs4ServerOptions> & { iatMode?: 0 | 1 | 2 } = {},
): Promise<EchoBridge> {
  const factory = await obfs4.createServer({ stateDir: tempDir(), ...opts });
  const serverSockets: Socket[] = [];
  const failures: PtError[] = [];
  const server = createServer((sock) => {
    serverSockets.push(sock);
    factory.accept(sock).then(
      (stream) => stream.pipe(stream),
      (e: PtError) => failures.push(e),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    cert: factory.cert,
    serverSockets,
    failures,
    close: () =>
      new Promise<void>((r) => {
        serverSockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}

for (const iatMode of [0, 1, 2] as const) {
  test(`steppe client and server move data both ways, iat-mode ${iatMode}`, async () => {
    const bridge = await echoBridge({ iatMode });
    const size = iatMode === 0 ? 4 * 1024 * 1024 : 96 * 1024;
    const stream = await obfs4.dial({
      host: '127.0.0.1',
      port: bridge.port,
      cert: bridge.cert,
      iatMode,
    });
    const r = await echoTransfer(stream, size);
    assert.equal(r.received, size);
    assert.equal(r.receivedSha, r.sentSha);
    await bridge.close();
  });
}

test('many concurrent connections', async () => {
  const bridge = await echoBridge();
  const results = await Promise.all(
    Array.from({ length: 32 }, async () => {
      const s = await obfs4.dial({ host: '127.0.0.1', port: bridge.port, cert: bridge.cert });
      return echoTransfer(s, 128 * 1024);
    }),
  );
  for (const r of results) assert.equal(r.receivedSha, r.sentSha);
  await bridge.close();
});

test('a wrong cert gets no answer at all, and the server closes with FIN at its deadline', async () => {
  const bridge = await echoBridge({ handshakeTimeoutMs: 400, closeDelayMs: 300 });
  const other = await obfs4.createServer({ stateDir: tempDir() });
  const started = Date.now();
  await assert.rejects(
    obfs4.dial({
      host: '127.0.0.1',
      port: bridge.port,
      cert: other.cert,
      signal: AbortSignal.timeout(3000),
    }),
    // the client learns nothing but the close, which comes at the server's deadline
    (e: PtError) => e.code === 'ERR_HANDSHAKE_EOF',
  );
  assert.equal(bridge.serverSockets[0]!.bytesWritten, 0);
  assert.ok(Date.now() - started >= 650);
  assert.equal(bridge.failures[0]?.code, 'ERR_HANDSHAKE_TIMEOUT');
  await bridge.close();
});

test('garbage probes: no byte back, FIN (not RST) after timeout plus the per-bridge delay', async () => {
  const bridge = await echoBridge({ handshakeTimeoutMs: 300, closeDelayMs: 400 });
  for (const size of [0, 100, 9000, 200_000]) {
    const started = Date.now();
    const outcome = await new Promise<{ bytes: number; how: string; ms: number }>((resolve) => {
      const s = connect(bridge.port, '127.0.0.1');
      let bytes = 0;
      let how = 'open';
      s.on('data', (d) => (bytes += d.length));
      s.on('end', () => (how = 'fin'));
      s.on('error', (e: NodeJS.ErrnoException) => (how = e.code ?? 'error'));
      s.on('close', () => resolve({ bytes, how, ms: Date.now() - started }));
      s.on('connect', () => s.write(Buffer.alloc(size, 0x41)));
    });
    assert.equal(outcome.bytes, 0, `probe of ${size} bytes got an answer`);
    assert.equal(outcome.how, 'fin', `probe of ${size} bytes: close was ${outcome.how}`);
    assert.ok(
      outcome.ms >= 650 && outcome.ms < 3000,
      `probe of ${size} bytes closed after ${outcome.ms} ms`,
    );
  }
  await bridge.close();
});

test("the server keeps its identity across restarts in obfs4proxy's file format", async () => {
  const dir = tempDir();
  const a = await obfs4.createServer({ stateDir: dir, iatMode: 1 });
  const b = await obfs4.createServer({ stateDir: dir });
  assert.equal(a.cert, b.cert);
  assert.equal(b.state.iatMode, 1);
  const js = JSON.parse(readFileSync(join(dir, 'obfs4_state.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.deepEqual(Object.keys(js), [
    'node-id',
    'private-key',
    'public-key',
    'drbg-seed',
    'iat-mode',
  ]);
  assert.equal(statSync(join(dir, 'obfs4_state.json')).mode & 0o777, 0o600);
  const line = readFileSync(join(dir, 'obfs4_bridgeline.txt'), 'utf8');
  assert.match(
    line,
    new RegExp(
      `^Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> cert=${a.cert.replace(/[+/]/g, '\\$&')} iat-mode=1$`,
      'm',
    ),
  );
  assert.equal(
    a.bridgeLine('192.0.2.1:443'),
    `Bridge obfs4 192.0.2.1:443 cert=${a.cert} iat-mode=1`,
  );
});

test('bad client args and bad state give clear errors', async () => {
  await assert.rejects(obfs4.dial({ host: '127.0.0.1', port: 1, cert: 'short' }), /70/);
  await assert.rejects(
    obfs4.dial({ host: '127.0.0.1', port: 1, cert: 'A'.repeat(70), iatMode: 3 as 0 }),
    /iat-mode/,
  );
  const dir = tempDir();
  await obfs4.createServer({ stateDir: dir });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'obfs4_state.json'), '{"node-id":"zz"}');
  await assert.rejects(
    obfs4.createServer({ stateDir: dir }),
    (e: PtError) => e.code === 'ERR_INVALID_STATE',
  );
});

test('a handshake replayed after a server restart gets no answer (the replay filter is persisted)', async () => {
  const dir = tempDir();
  const opts = { stateDir: dir, handshakeTimeoutMs: 300, closeDelayMs: 0 };
  const first = await obfs4.createServer(opts);
  // Record a genuine client handshake on its way to the first server instance.
  let recorded = Buffer.alloc(0);
  const srv1 = createServer((sock) => {
    sock.once('data', (d: Buffer) => (recorded = Buffer.from(d)));
    first.accept(sock).then(
      (s) => s.destroy(),
      () => {},
    );
  });
  await new Promise<void>((r) => srv1.listen(0, '127.0.0.1', r));
  const port1 = (srv1.address() as AddressInfo).port;
  (await obfs4.dial({ host: '127.0.0.1', port: port1, cert: first.cert })).destroy();
  assert.ok(recorded.length >= 141);
  await first.close();
  srv1.close();

  // A new server instance on the same state directory must treat the replay like any probe.
  const second = await obfs4.createServer(opts);
  const failures: string[] = [];
  const srv2 = createServer((sock) => {
    second.accept(sock).then(
      (s) => s.destroy(),
      (e: PtError) => failures.push(e.code),
    );
  });
  await new Promise<void>((r) => srv2.listen(0, '127.0.0.1', r));
  const answered = await new Promise<number>((resolve) => {
    const c = connect((srv2.address() as AddressInfo).port, '127.0.0.1');
    let n = 0;
    c.on('data', (d) => (n += d.length));
    c.on('error', () => {});
    c.on('close', () => resolve(n));
    c.on('connect', () => c.write(recorded));
  });
  assert.equal(answered, 0);
  assert.deepEqual(failures, ['ERR_HANDSHAKE_REPLAY']);
  srv2.close();
});

test('iat-mode 2 with a length table containing 0 keeps working (obfs4proxy panics there)', async () => {
  const { WeightedDist } = await import('../../../src/crypto/probdist.js');
  const { bytesToHex } = await import('../../../src/crypto/bytes.js');
  const { randomBytes } = await import('node:crypto');
  // About 3.7% of seeds put 0 in the table; 2000 tries miss one with probability < 1e-30.
  let seed: Uint8Array | null = null;
  for (let i = 0; i < 2000 && seed === null; i++) {
    const s = randomBytes(24);
    if (new WeightedDist(s, 0, 1448, false).values.includes(0)) seed = s;
  }
  assert.ok(seed, 'found a seed whose table contains 0');
  const id = await obfs4.createServer({ stateDir: tempDir() });
  const options = new Map([
    ['node-id', [bytesToHex(id.state.nodeId)]],
    ['private-key', [bytesToHex(id.state.privateKey)]],
    ['drbg-seed', [bytesToHex(seed)]],
  ]);
  const bridge = await echoBridge({ iatMode: 2, options });
  const stream = await obfs4.dial({
    host: '127.0.0.1',
    port: bridge.port,
    cert: bridge.cert,
    iatMode: 2,
  });
  const r = await echoTransfer(stream, 64 * 1024);
  assert.equal(r.receivedSha, r.sentSha);
  await bridge.close();
});

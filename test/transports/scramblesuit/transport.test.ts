import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  scramblesuit,
  ScrambleSuitClientFactory,
  TICKET_FILE,
  type ScrambleSuitServerFactory,
  type ScrambleSuitServerOptions,
} from '../../../src/transports/scramblesuit/index.js';
import { InvalidArgsError, type PtError } from '../../../src/errors.js';
import { ptArgs } from '../../../src/transports/types.js';
import { generateUniformDhKeypair } from '../../../src/crypto/uniformdh.js';
import { randomBytes } from '../../../src/crypto/random.js';
import {
  ClientDhHandshake,
  ticketHandshake,
} from '../../../src/transports/scramblesuit/handshake.js';
import { parsePassword } from '../../../src/transports/scramblesuit/password.js';
import { sealTicket } from '../../../src/transports/scramblesuit/ticket.js';
import { echoTransfer } from '../../_support/transfer.js';
import { startMetrics } from '../../../src/cli/metrics.js';
import { StatsBook } from '../../../src/tunnel/stats-book.js';
import { TunnelStats } from '../../../src/tunnel/stats.js';
import { parsePromText, promValue } from '../../_support/prom-text.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'steppe-ss-'));
  dirs.push(d);
  return d;
}
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface EchoBridge {
  factory: ScrambleSuitServerFactory;
  port: number;
  sockets: Socket[];
  failures: PtError[];
  close(): Promise<void>;
}

async function echoBridge(opts: Partial<ScrambleSuitServerOptions> = {}): Promise<EchoBridge> {
  const factory = await scramblesuit.createServer({ stateDir: tempDir(), ...opts });
  const sockets: Socket[] = [];
  const failures: PtError[] = [];
  const server: Server = createServer((sock) => {
    sockets.push(sock);
    factory.accept(sock).then(
      (stream) => stream.pipe(stream),
      (e: PtError) => failures.push(e),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    factory,
    port: (server.address() as AddressInfo).port,
    sockets,
    failures,
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}

function dialSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

test('UniformDH then the issued ticket, both hash-checked, the second without a round trip', async () => {
  const bridge = await echoBridge();
  const client = new ScrambleSuitClientFactory({ stateDir: tempDir() });
  const peer = `127.0.0.1:${bridge.port}`;
  for (const expected of ['uniformdh', 'ticket', 'ticket'] as const) {
    const args = client.parseArgs(ptArgs({ password: bridge.factory.password }));
    const { stream, kind } = await client.connect(await dialSocket(bridge.port), args, { peer });
    assert.equal(kind, expected);
    const r = await echoTransfer(stream, 1024 * 1024);
    assert.equal(r.receivedSha, r.sentSha);
    // The server's NEW_TICKET arrived with its first bytes, before any echo.
    assert.ok(client.tickets.has(peer));
  }
  assert.deepEqual(bridge.factory.handshakes, { uniformdh: 1, ticket: 2 });
  assert.deepEqual(bridge.failures, []);
  await bridge.close();
});

test('tickets survive a client restart in scramblesuit_tickets.json', async () => {
  const bridge = await echoBridge();
  const state = tempDir();
  const peer = `127.0.0.1:${bridge.port}`;
  const first = new ScrambleSuitClientFactory({ stateDir: state });
  const a = first.parseArgs(ptArgs({ password: bridge.factory.password }));
  const s1 = await first.wrap(await dialSocket(bridge.port), a, { peer });
  await echoTransfer(s1, 1000);
  await first.tickets.flush();
  const file = JSON.parse(readFileSync(join(state, TICKET_FILE), 'utf8')) as Record<
    string,
    { 'key-ticket': string; issuedAt: number }
  >;
  assert.deepEqual(Object.keys(file), [peer]);
  assert.match(file[peer]!['key-ticket'], /^[A-Z2-7]{231}=$/);
  assert.equal(statSync(join(state, TICKET_FILE)).mode & 0o777, 0o600);
  const second = new ScrambleSuitClientFactory({ stateDir: state });
  const b = second.parseArgs(ptArgs({ password: bridge.factory.password }));
  const { stream, kind } = await second.connect(await dialSocket(bridge.port), b, { peer });
  assert.equal(kind, 'ticket');
  const r = await echoTransfer(stream, 1000);
  assert.equal(r.receivedSha, r.sentSha);
  await bridge.close();
});

test('a damaged ticket file is reported and replaced', async () => {
  const state = tempDir();
  writeFileSync(join(state, TICKET_FILE), '{"127.0.0.1:1": {"key-ticket": 5');
  const warnings: string[] = [];
  const client = new ScrambleSuitClientFactory({ stateDir: state, warn: (m) => warnings.push(m) });
  await client.tickets.flush();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /not valid JSON; replacing it/);
  assert.equal(readFileSync(join(state, TICKET_FILE), 'utf8'), '{}');
});

test('a bad password is one InvalidArgsError naming password=', () => {
  const client = new ScrambleSuitClientFactory();
  for (const bad of [undefined, 'ABC', 'A'.repeat(31) + '1', 'A'.repeat(33)]) {
    assert.throws(
      () => client.parseArgs(bad === undefined ? new Map() : ptArgs({ password: bad })),
      (e: unknown) => e instanceof InvalidArgsError && /password=/.test(e.message),
    );
  }
});

test('the library dial keeps tickets per state directory', async () => {
  const bridge = await echoBridge();
  const stateDir = tempDir();
  for (let i = 0; i < 2; i++) {
    const s = await scramblesuit.dial({
      host: '127.0.0.1',
      port: bridge.port,
      password: bridge.factory.password,
      stateDir,
    });
    const r = await echoTransfer(s, 64 * 1024);
    assert.equal(r.receivedSha, r.sentSha);
  }
  assert.deepEqual(bridge.factory.handshakes, { uniformdh: 1, ticket: 1 });
  await bridge.close();
});

test('metrics count handshakes by kind on both sides', async () => {
  const bridge = await echoBridge();
  const server = new TunnelStats('server', 'scramblesuit');
  const client = new TunnelStats('client', 'scramblesuit');
  server.start();
  client.start();
  const m = await startMetrics(
    { host: '127.0.0.1', port: 0 },
    StatsBook.of('scramblesuit', server),
  );
  try {
    const stateDir = tempDir();
    for (let i = 0; i < 3; i++) {
      const s = await scramblesuit.dial({
        host: '127.0.0.1',
        port: bridge.port,
        password: bridge.factory.password,
        stateDir,
      });
      await echoTransfer(s, 1000);
    }
    const fams = parsePromText(
      await (await fetch(`http://127.0.0.1:${m.address.port}/metrics`)).text(),
    );
    const kind = (k: string): number =>
      promValue(fams, 'steppe_handshake_kinds_total', { kind: k });
    assert.equal(kind('uniformdh'), 1);
    assert.equal(kind('ticket'), 2);
    assert.deepEqual([...client.snapshot().handshakeKinds].sort(), [
      ['ticket', 2],
      ['uniformdh', 1],
    ]);
  } finally {
    server.stop();
    client.stop();
    await m.close();
    await bridge.close();
  }
});

test('a ticket from another bridge is a probe: silence, the close, then UniformDH works', async () => {
  const a = await echoBridge();
  const b = await echoBridge({
    handshakeTimeoutMs: 300,
    closeDelayMs: 100,
    options: ptArgs({ password: a.factory.password }),
  });
  const client = new ScrambleSuitClientFactory();
  const peerA = `127.0.0.1:${a.port}`;
  const peerB = `127.0.0.1:${b.port}`;
  const args = () => client.parseArgs(ptArgs({ password: a.factory.password }));
  await echoTransfer(await client.wrap(await dialSocket(a.port), args(), { peer: peerA }), 100);
  // B shares A's password but not its ticket keys: A's ticket, filed under B, is foreign there.
  const t = client.tickets.take(peerA)!;
  client.tickets.put(peerB, Buffer.concat([t.masterKey, t.ticket]));
  const { stream, kind } = await client.connect(await dialSocket(b.port), args(), { peer: peerB });
  assert.equal(kind, 'ticket');
  let received = 0;
  stream.on('data', (d: Buffer) => (received += d.length));
  stream.write(Buffer.alloc(1000));
  await new Promise<void>((resolve) => {
    stream.on('error', () => resolve());
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
  });
  stream.destroy();
  assert.equal(received, 0);
  assert.equal(b.sockets[0]!.bytesWritten, 0, 'the bridge sent nothing');
  assert.equal(b.failures.length, 1);
  assert.deepEqual(b.factory.handshakes, { uniformdh: 0, ticket: 0 });
  // The foreign ticket was used up; the next connection falls back to UniformDH.
  const again = await client.connect(await dialSocket(b.port), args(), { peer: peerB });
  assert.equal(again.kind, 'uniformdh');
  const r = await echoTransfer(again.stream, 10_000);
  assert.equal(r.receivedSha, r.sentSha);
  await a.close();
  await b.close();
});

/** Sends `bytes` on a fresh connection; resolves with what came back before the server closed. */
function exchange(port: number, bytes: Uint8Array): Promise<number> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    let got = 0;
    c.on('data', (d) => {
      got += d.length;
      // A real reply: enough to know the server answered.
      if (got >= 224) c.destroy();
    });
    c.on('error', () => {});
    c.on('close', () => resolve(got));
    c.on('connect', () => c.write(bytes));
  });
}

test('both handshake kinds stay refused as replays after a server restart', async () => {
  const stateDir = tempDir();
  const opts = { stateDir, handshakeTimeoutMs: 300, closeDelayMs: 100 };
  const first = await echoBridge(opts);
  const secret = parsePassword(first.factory.password, 'test');
  const dh = new ClientDhHandshake({ secret, keypair: generateUniformDhKeypair() }).generate();
  const masterKey = randomBytes(32);
  const sealed = sealTicket(
    first.factory.state.ticketKeys,
    masterKey,
    Math.floor(Date.now() / 1000),
  );
  const ticket = ticketHandshake(sealed, masterKey, Date.now());
  assert.ok((await exchange(first.port, dh)) >= 224, 'UniformDH answered');
  assert.ok(
    (await exchange(first.port, ticket)) >= 224,
    'a good ticket is answered with NEW_TICKET and PRNG_SEED',
  );
  assert.deepEqual(first.factory.handshakes, { uniformdh: 1, ticket: 1 });
  await first.factory.close();
  await first.close();

  const second = await echoBridge(opts);
  assert.equal(await exchange(second.port, dh), 0);
  assert.equal(await exchange(second.port, ticket), 0);
  // The same ticket in a new handshake message: redeemed already, before the restart.
  assert.equal(await exchange(second.port, ticketHandshake(sealed, masterKey, Date.now())), 0);
  assert.deepEqual(second.factory.handshakes, { uniformdh: 0, ticket: 0 });
  assert.deepEqual(
    second.failures.map((e) => e.code),
    ['ERR_HANDSHAKE_REPLAY', 'ERR_HANDSHAKE_REPLAY', 'ERR_HANDSHAKE_REPLAY'],
  );
  await second.close();
});

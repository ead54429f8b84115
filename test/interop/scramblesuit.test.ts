/**
 * Live ScrambleSuit interop with Debian's obfs4proxy 0.0.14, which has only the client:
 * obfs4proxy client (managed mode, SOCKS args password=...) → steppe bridge, and steppe client →
 * steppe bridge. Each way: one connection of 8 MiB each way with UniformDH, then one that must
 * redeem the ticket the bridge issued (counted by the bridge), then 16 concurrent connections;
 * SHA-256 checked by the client and by the echo service behind the bridge. Then obfs4proxy is
 * restarted on the same state directory and must redeem the ticket it saved in
 * scramblesuit_tickets.json.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  scramblesuit,
  TICKET_FILE,
  type ScrambleSuitServerFactory,
} from '../../src/transports/scramblesuit/index.js';
import { startHashEcho, type HashEcho } from '../_support/echo.js';
import { haveObfs4proxy, startObfs4proxyClient } from '../_support/obfs4proxy.js';
import { socks5Connect } from '../_support/socks-client.js';
import { echoTransfer, type TransferResult } from '../_support/transfer.js';

const available = haveObfs4proxy();
const quick = process.env.STEPPE_QUICK === '1';
const TOTAL = (quick ? 1 : 8) * 1024 * 1024;
const CONNS = 16;
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'steppe-ss-interop-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function assertAllIntact(
  results: TransferResult[],
  echo: HashEcho,
  perConn: number,
): Promise<void> {
  for (const r of results) {
    assert.equal(r.received, perConn);
    assert.equal(r.receivedSha, r.sentSha);
  }
  for (let i = 0; i < 50 && !results.every((r) => echo.received.includes(r.sentSha)); i++) {
    await new Promise((res) => setTimeout(res, 100));
  }
  for (const r of results)
    assert.ok(echo.received.includes(r.sentSha), 'the bridge side received exactly what was sent');
}

/** A steppe ScrambleSuit bridge in-process, forwarding each stream to `orPort`. */
async function steppeBridge(
  orPort: number,
): Promise<{ server: Server; port: number; factory: ScrambleSuitServerFactory }> {
  const factory = await scramblesuit.createServer({ stateDir: tempDir() });
  const server = createServer((sock) => {
    factory.accept(sock).then(
      (stream) => {
        const up = connect(orPort, '127.0.0.1');
        stream.pipe(up).pipe(stream);
        up.on('error', () => stream.destroy());
        stream.on('error', () => up.destroy());
      },
      () => {},
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, factory };
}

/** UniformDH, then a ticket, then CONNS at once; checks the bridge's handshake counts. */
async function ticketSequence(
  bridge: { factory: ScrambleSuitServerFactory },
  echo: HashEcho,
  dial: () => Promise<Socket | import('node:stream').Duplex>,
): Promise<void> {
  const h = bridge.factory.handshakes;
  await assertAllIntact([await echoTransfer(await dial(), TOTAL)], echo, TOTAL);
  assert.deepEqual(h, { uniformdh: 1, ticket: 0 });
  await assertAllIntact([await echoTransfer(await dial(), TOTAL)], echo, TOTAL);
  assert.deepEqual(h, { uniformdh: 1, ticket: 1 }, 'the second connection redeemed the ticket');
  const per = TOTAL / CONNS;
  const results = await Promise.all(
    Array.from({ length: CONNS }, async () => echoTransfer(await dial(), per)),
  );
  await assertAllIntact(results, echo, per);
  // One ticket was stored when the burst started; later ones may arrive before the last dials.
  assert.equal(h.uniformdh + h.ticket, 2 + CONNS);
  assert.ok(h.ticket >= 2, `a ticket was redeemed in the burst (${JSON.stringify(h)})`);
}

describe('scramblesuit interop', () => {
  let echo: HashEcho;
  before(async () => {
    echo = await startHashEcho();
  });
  after(async () => {
    await echo.close();
  });

  test(
    'obfs4proxy client → steppe bridge: UniformDH, then tickets, across a client restart',
    { timeout: 300_000, skip: available ? false : 'obfs4proxy not installed' },
    async () => {
      const bridge = await steppeBridge(echo.port);
      const clientState = tempDir();
      let client = await startObfs4proxyClient('scramblesuit', clientState);
      try {
        const args = `password=${bridge.factory.password}`;
        const dial = (): Promise<Socket> =>
          socks5Connect(client.address.port, { host: '127.0.0.1', port: bridge.port }, args);
        await ticketSequence(bridge, echo, dial);
        await client.stop();
        // obfs4proxy's ticket store on disk, keyed by the bridge's address.
        const saved = JSON.parse(readFileSync(join(clientState, TICKET_FILE), 'utf8')) as object;
        assert.deepEqual(Object.keys(saved), [`127.0.0.1:${bridge.port}`]);
        client = await startObfs4proxyClient('scramblesuit', clientState);
        const before = bridge.factory.handshakes.ticket;
        await assertAllIntact([await echoTransfer(await dial(), 1024 * 1024)], echo, 1024 * 1024);
        assert.equal(
          bridge.factory.handshakes.ticket,
          before + 1,
          'restarted client used its ticket',
        );
      } finally {
        await client.stop();
        bridge.server.close();
      }
    },
  );

  test('steppe client → steppe bridge: UniformDH, then tickets', { timeout: 300_000 }, async () => {
    const bridge = await steppeBridge(echo.port);
    const stateDir = tempDir();
    try {
      await ticketSequence(bridge, echo, () =>
        scramblesuit.dial({
          host: '127.0.0.1',
          port: bridge.port,
          password: bridge.factory.password,
          stateDir,
        }),
      );
    } finally {
      bridge.server.close();
    }
  });
});

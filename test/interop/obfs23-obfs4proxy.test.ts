/**
 * Live interop with Debian's obfs4proxy 0.0.14 for obfs3 and obfs2, both directions: 8 MiB each
 * way over one connection and over 16 concurrent ones, SHA-256 checked by the client and by the
 * echo service behind the bridge. Then the probe behaviour of both servers side by side on the
 * same garbage: bytes sent back, and FIN, RST or still open, with and without the prober's FIN.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from '../../src/crypto/random.js';
import { obfs2 } from '../../src/transports/obfs2/index.js';
import { obfs3 } from '../../src/transports/obfs3/index.js';
import type { ServerFactory } from '../../src/transports/types.js';
import { probeClose, type CloseProbe } from '../_support/close-kind.js';
import { startHashEcho, type HashEcho } from '../_support/echo.js';
import {
  haveObfs4proxy,
  startObfs4proxyClient,
  startObfs4proxyServer,
} from '../_support/obfs4proxy.js';
import { socks5Connect } from '../_support/socks-client.js';
import { echoTransfer, type TransferResult } from '../_support/transfer.js';

const available = haveObfs4proxy();
const quick = process.env.STEPPE_QUICK === '1';
const ci = process.env.CI === 'true';
const TOTAL = (quick ? 1 : 8) * 1024 * 1024;
const CONNS = 16;

const transports = {
  obfs3: {
    dial: (a: { host: string; port: number }) => obfs3.dial(a),
    createServer: () => obfs3.createServer(),
  },
  obfs2: {
    dial: (a: { host: string; port: number }) => obfs2.dial(a),
    createServer: () => obfs2.createServer(),
  },
} as const;
type Name = keyof typeof transports;

async function assertAllIntact(rs: TransferResult[], echo: HashEcho, per: number): Promise<void> {
  for (const r of rs) {
    assert.equal(r.received, per);
    assert.equal(r.receivedSha, r.sentSha);
  }
  for (let i = 0; i < 50 && !rs.every((r) => echo.received.includes(r.sentSha)); i++)
    await new Promise((res) => setTimeout(res, 100));
  for (const r of rs) assert.ok(echo.received.includes(r.sentSha), 'the bridge side got it all');
}

/** A steppe bridge in-process relaying each stream to `orPort`, as managed mode does. */
async function steppeBridge(factory: ServerFactory, orPort: number): Promise<Server> {
  const server = createServer((sock) => {
    factory.accept(sock).then(
      (stream) => {
        const up = connect(orPort, '127.0.0.1');
        stream.pipe(up).pipe(stream);
        up.on('error', () => stream.destroy());
        stream.on('error', () => up.destroy());
        up.on('close', () => stream.destroy());
        stream.on('close', () => up.destroy());
      },
      () => {},
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

async function moveData(dial: () => Promise<Duplex>, echo: HashEcho): Promise<void> {
  await assertAllIntact([await echoTransfer(await dial(), TOTAL)], echo, TOTAL);
  const per = TOTAL / CONNS;
  const rs = await Promise.all(
    Array.from({ length: CONNS }, async () => echoTransfer(await dial(), per)),
  );
  await assertAllIntact(rs, echo, per);
}

/**
 * The garbage both servers get. The lengths sit at the edges of each reference's reads: obfs3
 * reads the 192-byte key, then up to 8226 bytes looking for the magic; obfs2 reads 16 + 8 bytes
 * and checks the header.
 */
const PROBE_SIZES: Record<Name, number[]> = {
  obfs3: [0, 100, 191, 192, 500, 8418, 8419, 9000, 30_000],
  obfs2: [0, 10, 23, 24, 25, 100, 9000],
};
/** What obfs4proxy does, for the record (the test compares steppe with the live reference). */
function expected(name: Name, size: number, fin: boolean, budgetMs: number): CloseProbe['kind'] {
  const keyLen = name === 'obfs3' ? 192 : 24;
  if (size < keyLen) return fin || budgetMs > 30_000 ? 'fin' : 'open';
  if (name === 'obfs2') return size === 24 ? 'fin' : 'rst';
  if (size < 192 + 8226) return fin ? 'fin' : 'open';
  return size === 192 + 8226 ? 'fin' : 'rst';
}

/** The probe whose close both ends race: obfs2's 24-byte header followed at once by the probe's FIN. */
function racyClose(name: Name, size: number, fin: boolean): boolean {
  return name === 'obfs2' && size === 24 && fin;
}

describe(
  'obfs3 and obfs2 interop with obfs4proxy 0.0.14',
  { skip: available ? false : 'obfs4proxy not installed' },
  () => {
    let echo: HashEcho;
    before(async () => {
      echo = await startHashEcho();
    });
    after(async () => echo.close());

    for (const name of ['obfs3', 'obfs2'] as const) {
      const t = transports[name];

      test(`${name}: steppe client → obfs4proxy bridge`, { timeout: 300_000 }, async () => {
        const bridge = await startObfs4proxyServer({ orPort: echo.port, transport: name });
        try {
          assert.equal(bridge.args.size, 0, 'obfs4proxy publishes no args for this transport');
          await moveData(() => t.dial(bridge.address), echo);
        } finally {
          await bridge.stop();
        }
      });

      test(`${name}: obfs4proxy client → steppe bridge`, { timeout: 300_000 }, async () => {
        const server = await steppeBridge(await t.createServer(), echo.port);
        const client = await startObfs4proxyClient(name);
        try {
          const port = (server.address() as AddressInfo).port;
          await moveData(
            () => socks5Connect(client.address.port, { host: '127.0.0.1', port }, ''),
            echo,
          );
        } finally {
          await client.stop();
          server.close();
        }
      });

      test(
        `${name}: garbage probes — steppe's server answers and closes as obfs4proxy's`,
        { timeout: 120_000 },
        async (tc) => {
          const ref = await startObfs4proxyServer({ orPort: echo.port, transport: name });
          const ours = await steppeBridge(await t.createServer(), echo.port);
          const ourPort = (ours.address() as AddressInfo).port;
          // Short probes are left open past the reference's 30 s deadline only in CI.
          const budgetMs = ci ? 33_000 : 1500;
          try {
            const cases = PROBE_SIZES[name].flatMap((size) =>
              [false, true].map((fin) => ({ size, fin, payload: randomBytes(size) })),
            );
            const results = await Promise.all(
              cases.map(async (c) => {
                const want = expected(name, c.size, c.fin, budgetMs);
                const probeRef = (): Promise<CloseProbe> =>
                  probeClose(ref.address.port, c.payload, { fin: c.fin, budgetMs });
                const [first, s] = await Promise.all([
                  probeRef(),
                  probeClose(ourPort, c.payload, { fin: c.fin, budgetMs }),
                ]);
                // The reference is asked again when it strays: under heavy load (a 50-minute CI
                // run) obfs4proxy once reset a 24-byte + FIN obfs2 probe it closes with a FIN
                // every other time. steppe gets no second try.
                let r = first;
                for (let i = 0; i < 2 && r.kind !== want; i++) r = await probeRef();
                return { ...c, r, s };
              }),
            );
            const maxAnswer = name === 'obfs3' ? 192 + 4097 : 24 + 8192;
            for (const { size, fin, r, s } of results) {
              const what = `${size} bytes${fin ? ' + FIN' : ''}`;
              tc.diagnostic(
                `${name} ${what}: obfs4proxy ${r.kind} ${r.ms ?? '-'} ms ${r.bytes} B, steppe ${s.kind} ${s.ms ?? '-'} ms ${s.bytes} B`,
              );
              if (racyClose(name, size, fin)) {
                // Both ends close at once here: obfs4proxy's FIN and the probe's cross, and the
                // close-kind reading of /proc/net/tcp then sees a FIN or a reset depending on
                // which lands first (CI runs of 2026-12-06 read 'rst' from obfs4proxy three times
                // in a row, earlier ones 'fin'). Either way the server must close at once.
                for (const [who, p] of [
                  ['obfs4proxy', r],
                  ['steppe', s],
                ] as const) {
                  assert.ok(p.kind === 'fin' || p.kind === 'rst', `${who}, ${what}: ${p.kind}`);
                  assert.ok((p.ms ?? Infinity) < 5_000, `${who}, ${what}: closed after ${p.ms} ms`);
                }
              } else {
                assert.equal(r.kind, expected(name, size, fin, budgetMs), `obfs4proxy, ${what}`);
                assert.equal(s.kind, r.kind, `${what}: steppe ${s.kind}, obfs4proxy ${r.kind}`);
              }
              for (const [who, p] of [
                ['steppe', s],
                ['obfs4proxy', r],
              ] as const) {
                assert.ok(p.bytes <= maxAnswer, `${who} sent ${p.bytes} bytes to ${what}`);
                if (p.kind !== 'rst')
                  assert.ok(
                    p.bytes >= maxAnswer - (name === 'obfs3' ? 4097 : 8192),
                    `${who} sent ${p.bytes} bytes to ${what}`,
                  );
              }
            }
          } finally {
            await ref.stop();
            ours.close();
          }
        },
      );
    }
  },
);

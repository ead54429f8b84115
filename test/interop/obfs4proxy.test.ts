/**
 * Live interop with Debian's obfs4proxy 0.0.14 in both directions and every iat mode: steppe
 * client → obfs4proxy bridge, obfs4proxy client → steppe bridge. Each direction moves 8 MiB each
 * way over 32 concurrent connections (and, at iat-mode 0, 8 MiB over a single one), with SHA-256
 * checked by the client and by the echo service behind the bridge. Also: bridge identities
 * carried between the two implementations in obfs4_state.json.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { obfs4, type IatMode } from '../../src/transports/obfs4/index.js';
import { WeightedDist } from '../../src/crypto/probdist.js';
import { hexToBytes } from '../../src/crypto/bytes.js';
import { readFileSync } from 'node:fs';
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
const TOTAL = (quick ? 1 : 8) * 1024 * 1024;
const CONNS = 32;
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'steppe-interop-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A state directory holding a bridge identity that obfs4proxy can run at iat-mode 2.
 * obfs4proxy panics ("BUG: Write(), iat length was 0") when iat-mode 2 samples a write length
 * of 0 with data pending, which can happen whenever 0 is among the values of the bridge's length
 * table (about 3.7% of identities). Both ends use the bridge's table, so such an identity
 * crashes obfs4proxy as a client or as a bridge; steppe resamples instead (tested in
 * test/transports/obfs4/transport.test.ts). Interop tests therefore use identities without 0.
 */
async function stateObfs4proxyCanServe(iatMode: IatMode): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const dir = tempDir();
    await obfs4.createServer({ stateDir: dir, iatMode });
    const js = JSON.parse(readFileSync(join(dir, 'obfs4_state.json'), 'utf8')) as {
      'drbg-seed': string;
    };
    if (
      iatMode !== 2 ||
      !new WeightedDist(hexToBytes(js['drbg-seed']), 0, 1448, false).values.includes(0)
    )
      return dir;
  }
  throw new Error('no usable identity in 50 tries');
}

async function assertAllIntact(
  results: TransferResult[],
  echo: HashEcho,
  perConn: number,
): Promise<void> {
  for (const r of results) {
    assert.equal(r.received, perConn);
    assert.equal(r.receivedSha, r.sentSha);
  }
  // The echo service records a connection's hash when it closes, which can trail the client.
  for (let i = 0; i < 50 && !results.every((r) => echo.received.includes(r.sentSha)); i++) {
    await new Promise((res) => setTimeout(res, 100));
  }
  for (const r of results)
    assert.ok(echo.received.includes(r.sentSha), 'the bridge side received exactly what was sent');
}

/**
 * A failed transfer through obfs4proxy's client, with what tells the two sides apart: how far each
 * connection still open at the service got (read from the bridge, written back) and the end of
 * obfs4proxy's own log. A stall seen once in CI (iat-mode 2, 58454 of 262144 bytes back on one of
 * 32 connections, no panic) did not say which side had stopped.
 */
function stallReport(e: unknown, service: HashEcho, clientStateDir: string): Error {
  const open = service
    .open()
    .map((c) => `${c.read}/${c.written}`)
    .join(', ');
  let log = '';
  try {
    log = readFileSync(join(clientStateDir, 'obfs4proxy.log'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-15)
      .join('\n');
  } catch {
    log = '(no obfs4proxy.log)';
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new Error(
    `${msg}\nservice connections still open (bytes read/written): ${open || 'none'}\n` +
      `obfs4proxy client log, last lines:\n${log}`,
    { cause: e },
  );
}

/** A steppe bridge in-process, forwarding each obfs4 stream to `orPort`. */
async function steppeBridge(
  stateDir: string,
  orPort: number,
  iatMode?: IatMode,
): Promise<{ server: Server; port: number; cert: string }> {
  const factory = await obfs4.createServer({
    stateDir,
    ...(iatMode === undefined ? {} : { iatMode }),
  });
  const { connect } = await import('node:net');
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
  return { server, port: (server.address() as AddressInfo).port, cert: factory.cert };
}

const BANNER = Buffer.from('steppe-interop-banner\n');

/** Reads and checks the banner, leaving the socket ready for a 'data' listener. */
function readBanner(s: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const onReadable = (): void => {
      const b = s.read(BANNER.length) as Buffer | null;
      if (b === null) return;
      s.off('readable', onReadable);
      s.off('error', reject);
      if (b.equals(BANNER)) resolve(s);
      else reject(new Error('unexpected banner'));
    };
    s.on('readable', onReadable);
    s.once('error', reject);
  });
}

describe(
  'interop with obfs4proxy 0.0.14',
  { skip: available ? false : 'obfs4proxy not installed' },
  () => {
    let echo: HashEcho;
    let bannerEcho: HashEcho;
    before(async () => {
      echo = await startHashEcho();
      bannerEcho = await startHashEcho({ banner: BANNER });
    });
    after(async () => {
      await echo.close();
      await bannerEcho.close();
    });

    for (const iatMode of [0, 1, 2] as const) {
      test(
        `steppe client → obfs4proxy bridge, iat-mode ${iatMode}`,
        { timeout: 300_000 },
        async () => {
          const bridge = await startObfs4proxyServer({
            orPort: echo.port,
            iatMode,
            stateDir: await stateObfs4proxyCanServe(iatMode),
          });
          try {
            const cert = bridge.args.get('cert')!;
            assert.equal(bridge.args.get('iat-mode'), String(iatMode));
            const dial = () => obfs4.dial({ ...bridge.address, cert, iatMode });
            if (iatMode === 0)
              await assertAllIntact([await echoTransfer(await dial(), TOTAL)], echo, TOTAL);
            const per = TOTAL / CONNS;
            const results = await Promise.all(
              Array.from({ length: CONNS }, async () => echoTransfer(await dial(), per)),
            );
            await assertAllIntact(results, echo, per);
          } finally {
            await bridge.stop();
          }
        },
      );

      test(
        `obfs4proxy client → steppe bridge, iat-mode ${iatMode}`,
        { timeout: 300_000 },
        async () => {
          // At iat-mode 2 the service behind the bridge speaks first. obfs4proxy's client writes
          // its first burst with its own random length table, before it reads the bridge's seed,
          // and panics ("iat length was 0") when that table contains 0 and a 0 is drawn: a
          // reference bug no bridge can prevent. Reading a banner first makes it adopt the
          // bridge's table before it writes. At iat-mode 0 and 1 the client speaks first, as
          // tor does.
          const service = iatMode === 2 ? bannerEcho : echo;
          const bridge = await steppeBridge(
            await stateObfs4proxyCanServe(iatMode),
            service.port,
            iatMode,
          );
          const client = await startObfs4proxyClient();
          try {
            const dial = async (): Promise<Socket> => {
              const s = await socks5Connect(
                client.address.port,
                { host: '127.0.0.1', port: bridge.port },
                `cert=${bridge.cert};iat-mode=${iatMode}`,
              );
              return iatMode === 2 ? readBanner(s) : s;
            };
            if (iatMode === 0)
              await assertAllIntact([await echoTransfer(await dial(), TOTAL)], service, TOTAL);
            const per = TOTAL / CONNS;
            const results = await Promise.all(
              Array.from({ length: CONNS }, async () => echoTransfer(await dial(), per)),
            ).catch((e: unknown) => {
              throw stallReport(e, service, client.stateDir);
            });
            await assertAllIntact(results, service, per);
          } finally {
            await client.stop();
            bridge.server.close();
          }
        },
      );
    }

    test(
      'a bridge identity made by obfs4proxy serves obfs4proxy clients from steppe, and back',
      { timeout: 120_000 },
      async () => {
        // obfs4proxy creates the identity; its clients hold that bridge line.
        const dir = tempDir();
        const original = await startObfs4proxyServer({ orPort: echo.port, stateDir: dir });
        const cert = original.args.get('cert')!;
        await original.stop();

        // steppe loads obfs4proxy's state: same cert, and obfs4proxy clients get through.
        const moved = await steppeBridge(dir, echo.port);
        assert.equal(moved.cert, cert);
        const client = await startObfs4proxyClient();
        try {
          const s = await socks5Connect(
            client.address.port,
            { host: '127.0.0.1', port: moved.port },
            `cert=${cert};iat-mode=0`,
          );
          await assertAllIntact([await echoTransfer(s, 256 * 1024)], echo, 256 * 1024);
        } finally {
          moved.server.close();
        }

        // ...and obfs4proxy loads the state file as steppe rewrote it, still with the same cert.
        const back = tempDir();
        cpSync(dir, back, { recursive: true });
        const again = await startObfs4proxyServer({ orPort: echo.port, stateDir: back });
        try {
          assert.equal(again.args.get('cert'), cert);
          const s = await obfs4.dial({ ...again.address, cert, iatMode: 0 });
          await assertAllIntact([await echoTransfer(s, 256 * 1024)], echo, 256 * 1024);
        } finally {
          await again.stop();
          await client.stop();
        }
      },
    );

    test(
      'an identity made by steppe is served by obfs4proxy to steppe clients',
      { timeout: 60_000 },
      async () => {
        const dir = tempDir();
        const made = await obfs4.createServer({ stateDir: dir });
        const bridge = await startObfs4proxyServer({ orPort: echo.port, stateDir: dir });
        try {
          assert.equal(bridge.args.get('cert'), made.cert);
          const s = await obfs4.dial({ ...bridge.address, cert: made.cert, iatMode: 0 });
          await assertAllIntact([await echoTransfer(s, 256 * 1024)], echo, 256 * 1024);
        } finally {
          await bridge.stop();
        }
      },
    );
  },
);

// The socket-driven handshakes (upstream proxy negotiation, ExtORPort) against scripted peers
// that deliver their bytes in random pieces, and against peers that send garbage: the result
// must not depend on how TCP splits the stream, and garbage ends in a PtError, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { connectTcp, parseProxyUri } from '../../src/net/proxy.js';
import { extOrPortHandshake } from '../../src/extorport/client.js';
import { computeServerHash } from '../../src/extorport/protocol.js';
import { PtError } from '../../src/errors.js';
import { listenLocal, readN, socketPair } from './support/loopback.js';

/** Writes `bytes` in pieces cut at `cuts` (positions modulo the length), one write per tick. */
async function writeSplit(s: Socket, bytes: Uint8Array, cuts: number[]): Promise<void> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    if (p > prev) {
      s.write(bytes.subarray(prev, p));
      await new Promise((r) => setImmediate(r));
    }
    prev = p;
  }
}

const cutsArb = fc.array(fc.nat({ max: 400 }), { maxLength: 12 });

test('SOCKS5 and HTTP upstream negotiation works however the proxy reply is split', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('socks5', 'http'),
      cutsArb,
      fc.uint8Array({ maxLength: 20 }),
      async (kind, cuts, early) => {
        // A scripted proxy: reads the client's request, answers success in pieces, then sends
        // `early` bytes that belong to the tunnel.
        const proxy = await listenLocal((s) => {
          s.on('error', () => undefined);
          void (async () => {
            if (kind === 'socks5') {
              await readN(s, 3);
              await writeSplit(s, Uint8Array.of(5, 0), cuts);
              await readN(s, 10);
              await writeSplit(
                s,
                Buffer.concat([Buffer.from('05000001c000020101bb', 'hex'), early]),
                cuts,
              );
            } else {
              let head = Buffer.alloc(0);
              while (!head.includes('\r\n\r\n')) head = Buffer.concat([head, await readN(s, 1)]);
              await writeSplit(
                s,
                Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nVia: x\r\n\r\n'), early]),
                cuts,
              );
            }
          })().catch(() => s.destroy());
        });
        try {
          const sock = await connectTcp(
            { host: '192.0.2.1', port: 443 },
            { proxy: parseProxyUri(`${kind}://127.0.0.1:${proxy.port}`), timeoutMs: 5000 },
          );
          if (early.length > 0)
            assert.deepEqual(new Uint8Array(await readN(sock, early.length)), early);
          sock.destroy();
        } finally {
          await proxy.close();
        }
      },
    ),
    { numRuns: 25 },
  );
});

test('a proxy that answers garbage fails with a PtError, not a hang', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('socks5', 'socks4a', 'http'),
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      async (kind, junk) => {
        const proxy = await listenLocal((s) => {
          s.on('error', () => undefined);
          s.once('data', () => s.end(junk));
        });
        try {
          await connectTcp(
            { host: '192.0.2.1', port: 443 },
            { proxy: parseProxyUri(`${kind}://127.0.0.1:${proxy.port}`), timeoutMs: 2000 },
          ).then(
            (s) => {
              // Junk can happen to be a valid success reply; then the tunnel is simply open.
              s.destroy();
            },
            (e: unknown) => assert.ok(e instanceof PtError, String(e)),
          );
        } finally {
          await proxy.close();
        }
      },
    ),
    { numRuns: 30 },
  );
});

test('the ExtORPort handshake completes however tor splits its messages', async () => {
  const cookie = new Uint8Array(32).fill(7);
  const clientNonce = new Uint8Array(32).fill(1);
  const serverNonce = new Uint8Array(32).fill(2);
  await fc.assert(
    fc.asyncProperty(cutsArb, async (cuts) => {
      const [client, tor, close] = await socketPair();
      try {
        const done = extOrPortHandshake(client, {
          cookie,
          clientNonce,
          userAddr: '1.2.3.4:5',
          transport: 'obfs4',
        });
        await writeSplit(tor, Uint8Array.of(3, 1, 0), cuts);
        await readN(tor, 33);
        await writeSplit(
          tor,
          Buffer.concat([
            computeServerHash(cookie, clientNonce, serverNonce),
            serverNonce,
            Uint8Array.of(1),
          ]),
          cuts,
        );
        await readN(tor, 32);
        await readN(tor, 4 + 9 + 4 + 5 + 4);
        // An unknown command first (must be ignored), then OKAY, then OR bytes.
        await writeSplit(tor, Buffer.from('1002000141' + '10000000' + '99', 'hex'), cuts);
        await done;
        assert.deepEqual([...(await readN(client, 1))], [0x99]);
      } finally {
        client.destroy();
        tor.destroy();
        await close();
      }
    }),
    { numRuns: 25 },
  );
});

test('garbage from the ExtORPort ends in a PtError', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (junk) => {
      const [client, tor, close] = await socketPair();
      try {
        const done = extOrPortHandshake(client, { cookie: new Uint8Array(32) });
        tor.on('error', () => undefined);
        tor.end(junk);
        await done.then(
          () => assert.fail('junk must not authenticate'),
          (e: unknown) => assert.ok(e instanceof PtError, String(e)),
        );
      } finally {
        client.destroy();
        await close();
      }
    }),
    { numRuns: 40 },
  );
});

/**
 * Fuzzing of obfs4's parsers with fast-check: random splits, truncations and garbage. Parsers
 * must only ever return "need more" or a result, or throw a PtError; the server must never send
 * a byte in reply to a bad handshake, and must never hang past its deadline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSessionKeypair } from '../../src/crypto/elligator2.js';
import { ReplayFilter } from '../../src/crypto/replay-filter.js';
import { newIdentityKeypair } from '../../src/crypto/x25519.js';
import { randomBytes } from '../../src/crypto/random.js';
import { PtError } from '../../src/errors.js';
import { ByteQueue } from '../../src/transports/byte-queue.js';
import { MAX_FRAME_PAYLOAD_LENGTH } from '../../src/transports/obfs4/constants.js';
import { FrameDecoder, FrameEncoder } from '../../src/transports/obfs4/framing.js';
import { ClientHandshake, ServerHandshake } from '../../src/transports/obfs4/handshake.js';
import { parsePacket } from '../../src/transports/obfs4/packet.js';
import { obfs4 } from '../../src/transports/obfs4/index.js';
import { cutsArb, onlyPtErrors, RUNS, split } from './support.js';

const id = { nodeId: randomBytes(20), ...newIdentityKeypair() };
const serverKey = generateSessionKeypair();

test('server handshake parser: garbage only yields "more" or PtError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 9000 }), cutsArb, (garbage, cuts) => {
      const hs = new ServerHandshake({
        identity: id,
        sessionKey: serverKey,
        replayFilter: new ReplayFilter(),
      });
      let acc = new Uint8Array(0);
      onlyPtErrors(() => {
        for (const piece of split(garbage, cuts)) {
          acc = Buffer.concat([acc, piece]);
          assert.equal(hs.parseClient(acc), null);
        }
      });
    }),
    { numRuns: RUNS },
  );
});

test('server handshake parser: a real handshake in any split succeeds exactly at its end', () => {
  fc.assert(
    fc.property(cutsArb, fc.integer({ min: 77, max: 8128 }), (cuts, pad) => {
      const client = new ClientHandshake({
        identity: id,
        sessionKey: generateSessionKeypair(),
        padLength: pad,
      });
      const req = client.generate();
      const hs = new ServerHandshake({
        identity: id,
        sessionKey: serverKey,
        replayFilter: new ReplayFilter(),
      });
      let acc = new Uint8Array(0);
      let accepted = false;
      for (const piece of split(req, cuts)) {
        acc = Buffer.concat([acc, piece]);
        const r = hs.parseClient(acc);
        if (acc.length < req.length) {
          assert.equal(r, null);
        } else {
          // Parsed once, at the end; a second parse of the same bytes would be a replay.
          assert.ok(r);
          accepted = true;
          break;
        }
      }
      assert.ok(accepted);
    }),
    { numRuns: Math.ceil(RUNS / 3) },
  );
});

test('server handshake parser: truncated or corrupted handshakes never succeed', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 77, max: 2000 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (pad, at, flip) => {
        const req = new ClientHandshake({
          identity: id,
          sessionKey: generateSessionKeypair(),
          padLength: pad,
        }).generate();
        const bad = Uint8Array.from(req);
        bad[at % bad.length]! ^= flip;
        const hs = new ServerHandshake({
          identity: id,
          sessionKey: serverKey,
          replayFilter: new ReplayFilter(),
        });
        onlyPtErrors(() => assert.equal(hs.parseClient(bad), null));
        const hs2 = new ServerHandshake({
          identity: id,
          sessionKey: serverKey,
          replayFilter: new ReplayFilter(),
        });
        assert.equal(hs2.parseClient(req.subarray(0, at % req.length)), null);
      },
    ),
    { numRuns: RUNS },
  );
});

test('frame decoder: garbage yields "more" or PtError; real frames decode in any split', () => {
  const km = randomBytes(72);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), cutsArb, (garbage, cuts) => {
      const dec = new FrameDecoder(km);
      const q = new ByteQueue();
      const out = new Uint8Array(MAX_FRAME_PAYLOAD_LENGTH);
      onlyPtErrors(() => {
        for (const piece of split(garbage, cuts)) {
          q.push(piece);
          for (let n; (n = dec.decodeInto(q, out)) >= 0;) parsePacket(out.subarray(0, n));
        }
      });
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 1430 }), { maxLength: 8 }),
      cutsArb,
      (payloads, cuts) => {
        const enc = new FrameEncoder(km);
        const dec = new FrameDecoder(km);
        const wire = Buffer.concat(payloads.map((p) => enc.encode(p)));
        const q = new ByteQueue();
        const out = new Uint8Array(MAX_FRAME_PAYLOAD_LENGTH);
        const got: Buffer[] = [];
        for (const piece of split(wire, cuts)) {
          q.push(piece);
          for (let n; (n = dec.decodeInto(q, out)) >= 0;) got.push(Buffer.from(out.subarray(0, n)));
        }
        assert.deepEqual(
          got,
          payloads.map((p) => Buffer.from(p)),
        );
      },
    ),
    { numRuns: RUNS },
  );
});

test('a live server fed garbage in random splits writes nothing and closes by its deadline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'steppe-fuzz-'));
  const factory = await obfs4.createServer({
    stateDir: dir,
    handshakeTimeoutMs: 200,
    closeDelayMs: 100,
  });
  const sockets: Socket[] = [];
  const outcomes: Promise<unknown>[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    outcomes.push(
      factory.accept(s).then(
        () => assert.fail('garbage was accepted'),
        (e) => assert.ok(e instanceof PtError),
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 12_000 }), cutsArb, async (garbage, cuts) => {
        const started = Date.now();
        const got = await new Promise<number>((resolve, reject) => {
          const c = connect(port, '127.0.0.1');
          let bytes = 0;
          c.on('data', (d) => (bytes += d.length));
          c.on('error', () => {});
          c.on('close', () => resolve(bytes));
          c.on('connect', () => {
            for (const piece of split(garbage, cuts)) c.write(piece);
          });
          setTimeout(() => reject(new Error('server did not close within 5 s')), 5000).unref();
        });
        assert.equal(got, 0);
        assert.ok(Date.now() - started < 3000);
      }),
      { numRuns: Math.ceil(RUNS / 10) },
    );
    await Promise.all(outcomes);
    for (const s of sockets) assert.equal(s.bytesWritten, 0);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Fuzzing of ScrambleSuit's parsers with fast-check: random splits, truncations and garbage.
 * Parsers must only ever return "need more" or a result, or throw a PtError; the server must
 * never send a byte in reply to a bad handshake, and must close by its deadline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayFilter } from '../../src/crypto/replay-filter.js';
import { randomBytes } from '../../src/crypto/random.js';
import { generateUniformDhKeypair } from '../../src/crypto/uniformdh.js';
import { PtError } from '../../src/errors.js';
import { ByteQueue } from '../../src/transports/byte-queue.js';
import { MAX_MESSAGE_BODY } from '../../src/transports/scramblesuit/constants.js';
import {
  ClientDhHandshake,
  ServerHandshake,
  ticketHandshake,
} from '../../src/transports/scramblesuit/handshake.js';
import { scramblesuit } from '../../src/transports/scramblesuit/index.js';
import { deriveSessionKeys } from '../../src/transports/scramblesuit/keys.js';
import { MessageDecoder, MessageEncoder } from '../../src/transports/scramblesuit/message.js';
import { newPassword, parsePassword } from '../../src/transports/scramblesuit/password.js';
import { newTicketKeys, openTicket, sealTicket } from '../../src/transports/scramblesuit/ticket.js';
import { parseTicketFile } from '../../src/transports/scramblesuit/ticket-store.js';
import { parseStateJson } from '../../src/transports/scramblesuit/state.js';
import { cutsArb, onlyPtErrors, RUNS, split } from './support.js';

const secret = newPassword();
const ticketKeys = newTicketKeys();
const serverKey = generateUniformDhKeypair();
const clientKey = generateUniformDhKeypair();

function server(): ServerHandshake {
  return new ServerHandshake({
    secret,
    ticketKeys: [ticketKeys],
    replay: new ReplayFilter(),
    redeemed: new ReplayFilter(),
    keypair: serverKey,
    now: Date.now,
  });
}

test('server handshake parser: garbage only yields "more" or PtError, never a result', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4000 }), cutsArb, (garbage, cuts) => {
      const hs = server();
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

test('server handshake parser: real handshakes of both kinds succeed exactly at their end', () => {
  fc.assert(
    fc.property(cutsArb, fc.boolean(), (cuts, useTicket) => {
      const masterKey = randomBytes(32);
      const req = useTicket
        ? ticketHandshake(
            sealTicket(ticketKeys, masterKey, Math.floor(Date.now() / 1000)),
            masterKey,
            Date.now(),
          )
        : new ClientDhHandshake({ secret, keypair: clientKey }).generate();
      const hs = server();
      let acc = new Uint8Array(0);
      let accepted = false;
      for (const piece of split(req, cuts)) {
        acc = Buffer.concat([acc, piece]);
        const r = hs.parseClient(acc);
        if (acc.length < req.length) assert.equal(r, null);
        else {
          assert.ok(r);
          assert.equal(r.kind, useTicket ? 'ticket' : 'uniformdh');
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
    fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, flip) => {
      const req = new ClientDhHandshake({ secret, keypair: clientKey }).generate();
      const bad = Uint8Array.from(req);
      bad[at % bad.length]! ^= flip;
      onlyPtErrors(() => assert.equal(server().parseClient(bad), null));
      assert.equal(server().parseClient(req.subarray(0, at % req.length)), null);
    }),
    { numRuns: RUNS },
  );
});

test('client reply parser: garbage yields "more" or PtError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), cutsArb, (garbage, cuts) => {
      const c = new ClientDhHandshake({ secret, keypair: clientKey });
      c.generate();
      let acc = new Uint8Array(0);
      onlyPtErrors(() => {
        for (const piece of split(garbage, cuts)) {
          acc = Buffer.concat([acc, piece]);
          assert.equal(c.parseServer(acc), null);
        }
      });
    }),
    { numRuns: RUNS },
  );
});

test('message decoder: garbage yields "more" or PtError; real bursts decode in any split', () => {
  const keys = deriveSessionKeys(randomBytes(32)).upstream;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), cutsArb, (garbage, cuts) => {
      const dec = new MessageDecoder(keys);
      const q = new ByteQueue();
      onlyPtErrors(() => {
        for (const piece of split(garbage, cuts)) {
          q.push(piece);
          while (dec.decode(q) !== null);
        }
      });
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 3 * MAX_MESSAGE_BODY }), { maxLength: 6 }),
      fc.integer({ min: 21, max: 1448 }),
      cutsArb,
      (writes, sample, cuts) => {
        const enc = new MessageEncoder(keys);
        const dec = new MessageDecoder(keys);
        const wire = Buffer.concat(writes.map((w) => enc.burst([w], w.length, sample)));
        const q = new ByteQueue();
        const got: Uint8Array[] = [];
        for (const piece of split(wire, cuts)) {
          q.push(piece);
          for (let m = dec.decode(q); m !== null; m = dec.decode(q)) got.push(m.payload);
        }
        assert.deepEqual(Buffer.concat(got), Buffer.concat(writes));
      },
    ),
    { numRuns: RUNS },
  );
});

test('ticket, password, ticket-file and state-file parsers never throw anything but PtError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 112, maxLength: 112 }), (t) => {
      assert.equal(openTicket([ticketKeys], t, Math.floor(Date.now() / 1000)), null);
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => onlyPtErrors(() => parsePassword(s, 'fuzz'))),
    { numRuns: RUNS },
  );
  const jsonish = fc.oneof(
    fc.string(),
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
  );
  fc.assert(
    fc.property(jsonish, (text) => {
      const r = parseTicketFile(text, Date.now());
      assert.ok('error' in r || r.tickets instanceof Map);
      onlyPtErrors(() => parseStateJson(text, 'fuzz'));
    }),
    { numRuns: RUNS },
  );
});

test('a live server fed garbage in random splits writes nothing and closes by its deadline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'steppe-fuzz-ss-'));
  const factory = await scramblesuit.createServer({
    stateDir: dir,
    handshakeTimeoutMs: 200,
    closeDelayMs: 100,
  });
  const sockets: Socket[] = [];
  const outcomes: Promise<unknown>[] = [];
  const srv = createServer((s) => {
    sockets.push(s);
    outcomes.push(
      factory.accept(s).then(
        () => assert.fail('garbage was accepted'),
        (e) => assert.ok(e instanceof PtError),
      ),
    );
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  try {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4000 }), cutsArb, async (garbage, cuts) => {
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
      }),
      { numRuns: Math.ceil(RUNS / 10) },
    );
    await Promise.all(outcomes);
    for (const s of sockets) assert.equal(s.bytesWritten, 0);
  } finally {
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

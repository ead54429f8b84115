import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSessionKeypair } from '../../../src/crypto/elligator2.js';
import { ReplayFilter } from '../../../src/crypto/replay-filter.js';
import { newIdentityKeypair } from '../../../src/crypto/x25519.js';
import { randomBytes } from '../../../src/crypto/random.js';
import { PtError } from '../../../src/errors.js';
import {
  CLIENT_MAX_PAD_LENGTH,
  CLIENT_MIN_PAD_LENGTH,
  MAX_HANDSHAKE_LENGTH,
  SERVER_MAX_PAD_LENGTH,
  SERVER_MIN_PAD_LENGTH,
} from '../../../src/transports/obfs4/constants.js';
import {
  ClientHandshake,
  ServerHandshake,
  type ServerIdentityKeys,
} from '../../../src/transports/obfs4/handshake.js';
import { sweep } from '../../_support/sweep.js';

const HOUR = 3_600_000;
const { privateKey, publicKey } = newIdentityKeypair();
const identity: ServerIdentityKeys = { nodeId: randomBytes(20), privateKey, publicKey };
// Session keys are reused across the sweep: the sweep is about parsing at every length, and
// generating ~16 000 Elligator2 keypairs would only slow it down.
const clientKey = generateSessionKeypair();
const serverKey = generateSessionKeypair();

function pair(
  opts: { clientPad?: number; serverPad?: number; clientNow?: number; serverNow?: number } = {},
) {
  const client = new ClientHandshake({
    identity,
    sessionKey: clientKey,
    ...(opts.clientPad === undefined ? {} : { padLength: opts.clientPad }),
    ...(opts.clientNow === undefined ? {} : { now: () => opts.clientNow! }),
  });
  const server = new ServerHandshake({
    identity,
    sessionKey: serverKey,
    replayFilter: new ReplayFilter(),
    ...(opts.serverPad === undefined ? {} : { padLength: opts.serverPad }),
    ...(opts.serverNow === undefined ? {} : { now: () => opts.serverNow! }),
  });
  return { client, server };
}

function roundTrip(opts: Parameters<typeof pair>[0]): void {
  const { client, server } = pair(opts);
  const req = client.generate();
  const sr = server.parseClient(req);
  assert.ok(sr, 'server accepts');
  assert.equal(sr.consumed, req.length, 'server parse leaves no remainder');
  const resp = server.generate();
  const trailing = randomBytes(45); // the PRNG-seed frame follows the response on the wire
  const cr = client.parseServer(Buffer.concat([resp, trailing]));
  assert.ok(cr, 'client accepts');
  assert.equal(cr.consumed, resp.length);
  assert.deepEqual(cr.keySeed, sr.keySeed);
}

test('handshake round trip at every client padding length 77..8128', () => {
  for (const pad of sweep(CLIENT_MIN_PAD_LENGTH, CLIENT_MAX_PAD_LENGTH))
    roundTrip({ clientPad: pad });
});

test('handshake round trip at every server padding length 0..8051', () => {
  for (const pad of sweep(SERVER_MIN_PAD_LENGTH, SERVER_MAX_PAD_LENGTH))
    roundTrip({ serverPad: pad });
});

test('the server accepts a client clock one hour off either way, not two', () => {
  const now = 1_700_000_000_000;
  for (const skew of [-HOUR, HOUR]) roundTrip({ clientNow: now + skew, serverNow: now });
  const { client, server } = pair({ clientNow: now + 2 * HOUR, serverNow: now });
  assert.throws(
    () => server.parseClient(client.generate()),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_INVALID',
  );
});

test('the server rejects a replayed handshake', () => {
  const replay = new ReplayFilter();
  const mk = () => new ServerHandshake({ identity, sessionKey: serverKey, replayFilter: replay });
  const req = new ClientHandshake({ identity, sessionKey: clientKey }).generate();
  assert.ok(mk().parseClient(req));
  assert.throws(
    () => mk().parseClient(req),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_REPLAY',
  );
});

test('server parsing follows the reference: tail-only mark, no trailing bytes, 8192-byte cap', () => {
  const { client, server } = pair({ clientPad: 500 });
  const req = client.generate();
  // every strict prefix asks for more
  for (let n = 0; n < req.length; n += 37)
    assert.equal(server.parseClient(req.subarray(0, n)), null);
  // one trailing byte: the mark is no longer at the tail; the reference treats it as "not yet"
  // and, with more bytes, as invalid once the cap is reached
  assert.equal(pair().server.parseClient(Buffer.concat([req, Uint8Array.of(0)])), null);
  const capped = Buffer.concat([req, new Uint8Array(MAX_HANDSHAKE_LENGTH - req.length)]);
  assert.throws(
    () => pair().server.parseClient(capped),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_TOO_LONG',
  );
  // garbage of the maximum length is invalid, shorter garbage waits
  assert.equal(pair().server.parseClient(randomBytes(MAX_HANDSHAKE_LENGTH - 1)), null);
  assert.throws(() => pair().server.parseClient(randomBytes(MAX_HANDSHAKE_LENGTH)), PtError);
});

test('the client rejects a response made for another identity or a tampered AUTH', () => {
  const other = newIdentityKeypair();
  const otherIdentity = { nodeId: identity.nodeId, ...other };
  const client = new ClientHandshake({ identity, sessionKey: clientKey });
  const req = client.generate();
  // A server with another key does not recognise the request at all (the mark differs)...
  const wrong = new ServerHandshake({
    identity: otherIdentity,
    sessionKey: serverKey,
    replayFilter: new ReplayFilter(),
  });
  assert.equal(wrong.parseClient(req), null);
  // ...and a correct response with AUTH flipped fails the ntor check.
  const { server } = pair();
  assert.ok(server.parseClient(req));
  const resp = server.generate();
  resp[40]! ^= 1;
  assert.throws(
    () => client.parseServer(resp),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_AUTH',
  );
});

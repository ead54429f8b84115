import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, concatBytes } from '../../../src/crypto/bytes.js';
import { ReplayFilter } from '../../../src/crypto/replay-filter.js';
import { randomBytes, systemRandom, type RandomSource } from '../../../src/crypto/random.js';
import { generateUniformDhKeypair } from '../../../src/crypto/uniformdh.js';
import { PtError } from '../../../src/errors.js';
import {
  DH_MAX_PAD_LENGTH,
  MAX_HANDSHAKE_LENGTH,
  TICKET_LIFETIME_S,
  TICKET_MAX_PAD_LENGTH,
} from '../../../src/transports/scramblesuit/constants.js';
import {
  ClientDhHandshake,
  ServerHandshake,
  ticketHandshake,
} from '../../../src/transports/scramblesuit/handshake.js';
import {
  newTicketKeys,
  sealTicket,
  type TicketKeys,
} from '../../../src/transports/scramblesuit/ticket.js';
import { newPassword } from '../../../src/transports/scramblesuit/password.js';
import { sweep } from '../../_support/sweep.js';

const HOUR = 3_600_000;
const NOW = 1_760_000_000_000;
const secret = newPassword();
const ticketKeys = newTicketKeys();
// Keys are reused across the sweeps: they are about parsing at every length.
const clientKey = generateUniformDhKeypair();
const serverKey = generateUniformDhKeypair();

/** Makes the first randomIntRange draw (a padding length) return `n`; OS randomness after. */
function padRng(n: number): RandomSource {
  let first = true;
  return {
    fill(out) {
      if (first && out.length === 4) {
        first = false;
        new DataView(out.buffer, out.byteOffset).setUint32(0, n);
        return;
      }
      systemRandom.fill(out);
    },
  };
}

function server(
  opts: {
    now?: number;
    serverPad?: number;
    replay?: ReplayFilter;
    redeemed?: ReplayFilter;
    keys?: TicketKeys[];
  } = {},
): ServerHandshake {
  return new ServerHandshake({
    secret,
    ticketKeys: opts.keys ?? [ticketKeys],
    replay: opts.replay ?? new ReplayFilter(),
    redeemed: opts.redeemed ?? new ReplayFilter(),
    keypair: serverKey,
    now: () => opts.now ?? NOW,
    ...(opts.serverPad === undefined ? {} : { rng: padRng(opts.serverPad) }),
  });
}

function client(opts: { now?: number; pad?: number } = {}): ClientDhHandshake {
  return new ClientDhHandshake({
    secret,
    keypair: clientKey,
    now: () => opts.now ?? NOW,
    ...(opts.pad === undefined ? {} : { rng: padRng(opts.pad) }),
  });
}

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof PtError && e.code === code);
}

test('UniformDH round trip at every client and server padding length', () => {
  for (const pad of sweep(0, DH_MAX_PAD_LENGTH, 24)) {
    const c = client({ pad });
    const msg = c.generate();
    assert.equal(msg.length, 192 + pad + 32);
    const trailer = randomBytes(50);
    const r = server({ serverPad: DH_MAX_PAD_LENGTH - pad }).parseClient(concatBytes(msg, trailer));
    assert.ok(r && r.kind === 'uniformdh' && r.reply);
    assert.equal(r.consumed, msg.length, 'bytes behind the handshake are left as messages');
    assert.equal(r.reply.length, 192 + DH_MAX_PAD_LENGTH - pad + 32);
    // The client finds the reply however it is split.
    let got = null;
    for (let i = 1; i <= r.reply.length && got === null; i += 97)
      got = c.parseServer(r.reply.subarray(0, i));
    got ??= c.parseServer(r.reply);
    assert.ok(got);
    assert.equal(got.consumed, r.reply.length);
    assert.equal(bytesToHex(got.masterKey), bytesToHex(r.masterKey));
  }
});

test('the server waits for more until the MAC has arrived, byte by byte', () => {
  const msg = client({ pad: 100 }).generate();
  const s = server();
  for (let i = 0; i < msg.length; i++) assert.equal(s.parseClient(msg.subarray(0, i)), null);
  assert.ok(s.parseClient(msg));
});

test('the epoch hour: E−1, E and E+1 are accepted and echoed, E±2 refused', () => {
  for (const skew of [-1, 0, 1]) {
    const c = client({ now: NOW + skew * HOUR });
    const r = server().parseClient(c.generate());
    assert.ok(r?.reply);
    assert.ok(c.parseServer(r.reply), `the reply MAC uses the client's epoch (skew ${skew} h)`);
  }
  for (const skew of [-2, 2]) {
    const msg = client({ now: NOW + skew * HOUR }).generate();
    expectCode(() => server().parseClient(msg), 'ERR_HANDSHAKE_AUTH');
  }
});

test('a replayed UniformDH handshake is refused, even by a fresh parser', () => {
  const replay = new ReplayFilter();
  const msg = client().generate();
  assert.ok(server({ replay }).parseClient(msg));
  expectCode(() => server({ replay }).parseClient(msg), 'ERR_HANDSHAKE_REPLAY');
});

test('garbage: no answer up to 1531 bytes, refused at 1532', () => {
  const junk = randomBytes(MAX_HANDSHAKE_LENGTH);
  const s = server();
  assert.equal(s.parseClient(junk.subarray(0, MAX_HANDSHAKE_LENGTH - 1)), null);
  expectCode(() => s.parseClient(junk), 'ERR_HANDSHAKE_TOO_LONG');
});

test('a wrong password is never answered', () => {
  const other = new ClientDhHandshake({
    secret: newPassword(),
    keypair: clientKey,
    now: () => NOW,
  });
  const msg = other.generate();
  assert.equal(server().parseClient(msg), null);
});

test('a client refuses a reply with a wrong MAC or none within 1532 bytes', () => {
  const c = client();
  const r = server().parseClient(c.generate())!;
  const bad = r.reply!.slice();
  bad[bad.length - 1]! ^= 1;
  expectCode(() => c.parseServer(bad), 'ERR_HANDSHAKE_AUTH');
  expectCode(
    () => client().parseServer(randomBytes(MAX_HANDSHAKE_LENGTH)),
    'ERR_HANDSHAKE_TOO_LONG',
  );
});

function issued(issuedAtS = Math.floor(NOW / 1000), keys = ticketKeys) {
  const masterKey = randomBytes(32);
  return { masterKey, ticket: sealTicket(keys, masterKey, issuedAtS) };
}

test('ticket handshake at every padding length gives the ticket master key', () => {
  for (const pad of sweep(0, TICKET_MAX_PAD_LENGTH, 24)) {
    const t = issued();
    const msg = ticketHandshake(t.ticket, t.masterKey, NOW, padRng(pad));
    assert.equal(msg.length, 112 + pad + 32);
    const r = server().parseClient(concatBytes(msg, randomBytes(30)));
    assert.ok(r);
    assert.equal(r.kind, 'ticket');
    assert.equal(r.reply, null, 'nothing is sent back for a ticket');
    assert.equal(r.consumed, msg.length);
    assert.equal(bytesToHex(r.masterKey), bytesToHex(t.masterKey));
  }
});

test('tickets: clock skew of one hour accepted, the previous keys accepted', () => {
  for (const skew of [-1, 1]) {
    const t = issued();
    assert.ok(server().parseClient(ticketHandshake(t.ticket, t.masterKey, NOW + skew * HOUR)));
  }
  const old = newTicketKeys();
  const t = issued(undefined, old);
  assert.ok(
    server({ keys: [ticketKeys, old] }).parseClient(ticketHandshake(t.ticket, t.masterKey, NOW)),
  );
});

test('tickets: expired, foreign or forged ones get silence, then the 1532-byte limit', () => {
  const expired = issued(Math.floor(NOW / 1000) - TICKET_LIFETIME_S - 1);
  const foreign = issued(undefined, newTicketKeys());
  const forged = issued();
  forged.ticket[20]! ^= 1;
  for (const t of [expired, foreign, forged]) {
    const msg = ticketHandshake(t.ticket, t.masterKey, NOW);
    const s = server();
    assert.equal(s.parseClient(msg), null);
    const padded = concatBytes(msg, randomBytes(MAX_HANDSHAKE_LENGTH - msg.length));
    expectCode(() => s.parseClient(padded), 'ERR_HANDSHAKE_TOO_LONG');
  }
  const stillGood = issued(Math.floor(NOW / 1000) - TICKET_LIFETIME_S + 60);
  assert.ok(server().parseClient(ticketHandshake(stillGood.ticket, stillGood.masterKey, NOW)));
});

test('tickets: a replayed handshake and a second redemption are refused', () => {
  const replay = new ReplayFilter();
  const redeemed = new ReplayFilter({ ttlMs: (TICKET_LIFETIME_S + 3600) * 1000 });
  const t = issued();
  const msg = ticketHandshake(t.ticket, t.masterKey, NOW);
  assert.ok(server({ replay, redeemed }).parseClient(msg));
  expectCode(() => server({ replay, redeemed }).parseClient(msg), 'ERR_HANDSHAKE_REPLAY');
  // The same ticket in a fresh handshake (new padding, new MAC): still only one connection.
  const again = ticketHandshake(t.ticket, t.masterKey, NOW + 1000);
  expectCode(() => server({ replay, redeemed }).parseClient(again), 'ERR_HANDSHAKE_REPLAY');
});

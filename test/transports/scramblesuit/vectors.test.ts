// Known answers for ScrambleSuit's KDF split, ticket layout, message framing and handshake
// messages. The expected values come from test/vectors/scramblesuit-vectors.py, an independent
// Python computation (see test/vectors/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '../../../src/crypto/bytes.js';
import { hkdfExpandSha256 } from '../../../src/crypto/hmac.js';
import type { RandomSource } from '../../../src/crypto/random.js';
import { ByteQueue } from '../../../src/transports/byte-queue.js';
import { handshakeMessage } from '../../../src/transports/scramblesuit/handshake.js';
import { deriveSessionKeys } from '../../../src/transports/scramblesuit/keys.js';
import { MessageDecoder, MessageEncoder } from '../../../src/transports/scramblesuit/message.js';
import { encodePassword, parsePassword } from '../../../src/transports/scramblesuit/password.js';
import { openTicket, sealTicket } from '../../../src/transports/scramblesuit/ticket.js';
import { loadVectors } from '../../crypto/vectors.js';

interface Dir {
  aesKey: string;
  ivPrefix: string;
  macKey: string;
}
interface Vectors {
  rfc5869_tc1: { prk: string; info: string; length: number; okm: string };
  kdf: { masterKey: string; okm: string; upstream: Dir; downstream: Dir };
  messages: {
    masterKey: string;
    sequence: { flags: number; payload: string; padding: number; wire: string }[];
  };
  ticket: {
    aesKey: string;
    hmacKey: string;
    iv: string;
    masterKey: string;
    issuedAt: number;
    ticket: string;
  };
  uniformdhMessage: {
    secret: string;
    publicKey: string;
    padding: string;
    epoch: string;
    message: string;
  };
  ticketMessage: {
    ticket: string;
    masterKey: string;
    padding: string;
    epoch: string;
    message: string;
  };
  password: { secret: string; base32: string };
}
const v = loadVectors<Vectors>('scramblesuit.json');
const hex = bytesToHex;

/** Hands out `bytes` in order: fixed IVs for sealTicket. */
function fixedRandom(bytes: Uint8Array): RandomSource {
  let off = 0;
  return {
    fill(out) {
      out.set(bytes.subarray(off, off + out.length));
      off += out.length;
    },
  };
}

test('HKDF-Expand: RFC 5869 test case 1 from its PRK', () => {
  const t = v.rfc5869_tc1;
  assert.equal(hex(hkdfExpandSha256(hexToBytes(t.prk), hexToBytes(t.info), t.length)), t.okm);
});

test('session keys: the 144-byte HKDF-Expand output cut into both directions', () => {
  const k = deriveSessionKeys(hexToBytes(v.kdf.masterKey));
  assert.equal(
    hex(hkdfExpandSha256(hexToBytes(v.kdf.masterKey), new Uint8Array(0), 144)),
    v.kdf.okm,
  );
  for (const d of ['upstream', 'downstream'] as const) {
    assert.equal(hex(k[d].aesKey), v.kdf[d].aesKey);
    assert.equal(hex(k[d].ivPrefix), v.kdf[d].ivPrefix);
    assert.equal(hex(k[d].macKey), v.kdf[d].macKey);
  }
});

test('messages: MAC ‖ AES-CTR(header ‖ payload ‖ padding), one CTR stream across messages', () => {
  const keys = deriveSessionKeys(hexToBytes(v.messages.masterKey)).upstream;
  const enc = new MessageEncoder(keys);
  const dec = new MessageDecoder(keys);
  const q = new ByteQueue();
  for (const m of v.messages.sequence) {
    const wire = enc.message(m.flags, hexToBytes(m.payload), m.padding);
    assert.equal(hex(wire), m.wire);
    q.push(hexToBytes(m.wire));
  }
  for (const m of v.messages.sequence) {
    const got = dec.decode(q);
    assert.ok(got);
    assert.equal(got.flags, m.flags);
    assert.equal(hex(got.payload), m.payload);
  }
  assert.equal(dec.decode(q), null);
});

test('tickets: IV ‖ AES-128-CBC(LE32 date ‖ identifier ‖ master key ‖ pad) ‖ HMAC-SHA256', () => {
  const t = v.ticket;
  const keys = { aesKey: hexToBytes(t.aesKey), hmacKey: hexToBytes(t.hmacKey) };
  const sealed = sealTicket(
    keys,
    hexToBytes(t.masterKey),
    t.issuedAt,
    fixedRandom(hexToBytes(t.iv)),
  );
  assert.equal(hex(sealed), t.ticket);
  const opened = openTicket([keys], hexToBytes(t.ticket), t.issuedAt + 60);
  assert.ok(opened);
  assert.equal(hex(opened.masterKey), t.masterKey);
  assert.equal(opened.issuedAt, t.issuedAt);
});

test('handshake messages: K ‖ P ‖ M ‖ MAC with the epoch hour, UniformDH and ticket', () => {
  const u = v.uniformdhMessage;
  assert.equal(
    hex(
      handshakeMessage(
        hexToBytes(u.secret),
        hexToBytes(u.publicKey),
        hexToBytes(u.padding),
        u.epoch,
      ),
    ),
    u.message,
  );
  const t = v.ticketMessage;
  const macKey = deriveSessionKeys(hexToBytes(t.masterKey)).upstream.macKey;
  assert.equal(
    hex(handshakeMessage(macKey, hexToBytes(t.ticket), hexToBytes(t.padding), t.epoch)),
    t.message,
  );
});

test('password: 20 bytes ↔ 32 Base32 characters', () => {
  assert.equal(encodePassword(hexToBytes(v.password.secret)), v.password.base32);
  assert.equal(hex(parsePassword(v.password.base32, 'test')), v.password.secret);
  assert.equal(hex(parsePassword(v.password.base32.toLowerCase(), 'test')), v.password.secret);
});

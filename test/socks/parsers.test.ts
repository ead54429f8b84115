// Sans-IO SOCKS5/SOCKS4a parsers: known messages, prefixes, malformed input, fuzzing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  chooseMethod,
  encodeReply,
  parseGreeting,
  parseRequest,
  parseUserPass,
  userPassToArgBytes,
} from '../../src/socks/socks5.js';
import { encodeSocks4Reply, parseSocks4Request } from '../../src/socks/socks4.js';
import { errorToSocksReply, SocksError, SocksReply } from '../../src/socks/reply.js';
import { PtError } from '../../src/errors.js';
import { UpstreamProxyError } from '../../src/net/upstream-socks5.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('SOCKS5 greeting and method choice (obfs4proxy prefers username/password)', () => {
  assert.deepEqual(parseGreeting(h('05 02 00 02')), { value: Uint8Array.of(0, 2), consumed: 4 });
  assert.equal(parseGreeting(h('05 02 00')), null);
  assert.deepEqual(parseGreeting(h('05 00')), { value: new Uint8Array(0), consumed: 2 });
  assert.throws(() => parseGreeting(h('04 01 00')), SocksError);
  assert.equal(chooseMethod(Uint8Array.of(0, 2), true), 2);
  assert.equal(chooseMethod(Uint8Array.of(0, 2), false), 0);
  assert.equal(chooseMethod(Uint8Array.of(0), true), 0);
  assert.equal(chooseMethod(Uint8Array.of(1, 3), true), 0xff);
});

test('RFC 1929 request and the PT args it carries', () => {
  const r = parseUserPass(h('01 03 616263 01 00'));
  assert.ok(r !== null);
  assert.equal(r.consumed, 7);
  assert.equal(Buffer.from(userPassToArgBytes(r.value)).toString(), 'abc');
  const split = parseUserPass(h('01 02 6162 02 6364'));
  assert.ok(split !== null);
  assert.equal(Buffer.from(userPassToArgBytes(split.value)).toString(), 'abcd');
  assert.throws(() => parseUserPass(h('01 00')), /empty username/);
  assert.throws(() => parseUserPass(h('01 01 61 00')), /empty password/);
  assert.throws(() => parseUserPass(h('05 01 61 01 00')), /auth version 5/);
  assert.equal(parseUserPass(h('01 03 6162')), null);
});

test('SOCKS5 requests: IPv4, IPv6, FQDN; unsupported command and address type', () => {
  assert.deepEqual(parseRequest(h('05 01 00 01 7f000001 1f90')), {
    value: { command: 1, target: { host: '127.0.0.1', port: 8080 } },
    consumed: 10,
  });
  assert.deepEqual(parseRequest(h('05 01 00 04 20010db8000000000000000000000001 0050')), {
    value: { command: 1, target: { host: '2001:db8::1', port: 80 } },
    consumed: 22,
  });
  assert.deepEqual(parseRequest(h('05 01 00 03 0b 6578616d706c652e636f6d 01bb')), {
    value: { command: 1, target: { host: 'example.com', port: 443 } },
    consumed: 18,
  });
  const err = (buf: Buffer, reply: number): void => {
    assert.throws(
      () => parseRequest(buf),
      (e: unknown) => e instanceof SocksError && e.reply === reply,
      buf.toString('hex'),
    );
  };
  err(h('05 02 00 01'), SocksReply.commandNotSupported); // BIND
  err(h('05 03'), SocksReply.commandNotSupported); // UDP ASSOCIATE
  err(h('05 01 00 05'), SocksReply.addressNotSupported);
  err(h('05 01 01 01'), SocksReply.generalFailure); // reserved byte
  err(h('04 01 00 01'), SocksReply.generalFailure);
  err(h('05 01 00 03 00'), SocksReply.generalFailure); // empty name
  err(h('05 01 00 03 02 6100 0050'), SocksReply.generalFailure); // NUL in name
  assert.equal(hex(encodeReply(SocksReply.connectionRefused)), '05050001000000000000');
});

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

test('SOCKS4 and SOCKS4a requests', () => {
  assert.deepEqual(parseSocks4Request(h('04 01 0050 01020304 6b3d76 00')), {
    value: {
      command: 1,
      target: { host: '1.2.3.4', port: 80 },
      userId: new Uint8Array(Buffer.from('k=v')),
    },
    consumed: 12,
  });
  assert.deepEqual(parseSocks4Request(h('04 01 0050 00000001 00 6578616d706c652e636f6d 00')), {
    value: { command: 1, target: { host: 'example.com', port: 80 }, userId: new Uint8Array(0) },
    consumed: 21,
  });
  assert.equal(parseSocks4Request(h('04 01 0050 00000001 00 6578')), null);
  assert.throws(
    () => parseSocks4Request(h('04 02')),
    (e: unknown) => e instanceof SocksError && e.reply === 7,
  );
  assert.throws(() => parseSocks4Request(h('04 01 0050 00000001 00 00')), /empty host name/);
  assert.throws(
    () => parseSocks4Request(Buffer.concat([h('04 01 0050 01020304'), Buffer.alloc(3000, 0x41)])),
    /longer than/,
  );
  assert.equal(hex(encodeSocks4Reply(true)), '005a000000000000');
  assert.equal(hex(encodeSocks4Reply(false)), '005b000000000000');
});

test('errorToSocksReply maps the real failure to a reply code', () => {
  const errno = (code: string): Error => Object.assign(new Error(code), { code });
  assert.equal(errorToSocksReply(errno('ECONNREFUSED')), SocksReply.connectionRefused);
  assert.equal(errorToSocksReply(errno('ENETUNREACH')), SocksReply.networkUnreachable);
  assert.equal(errorToSocksReply(errno('EHOSTUNREACH')), SocksReply.hostUnreachable);
  assert.equal(errorToSocksReply(errno('ETIMEDOUT')), SocksReply.ttlExpired);
  assert.equal(errorToSocksReply(errno('ENOTFOUND')), SocksReply.hostUnreachable);
  // Through a PtError cause chain, as connectTcp wraps errors.
  assert.equal(
    errorToSocksReply(new PtError('ERR_CONNECT', 'x', { cause: errno('ECONNREFUSED') })),
    SocksReply.connectionRefused,
  );
  assert.equal(
    errorToSocksReply(new UpstreamProxyError('proxy said 3', 3)),
    SocksReply.networkUnreachable,
  );
  assert.equal(
    errorToSocksReply(new SocksError('x', SocksReply.notAllowed)),
    SocksReply.notAllowed,
  );
  assert.equal(
    errorToSocksReply(new PtError('ERR_HANDSHAKE_TIMEOUT', 'slow')),
    SocksReply.generalFailure,
  );
  assert.equal(errorToSocksReply('weird'), SocksReply.generalFailure);
  // A cause cycle terminates.
  const a: { cause?: unknown } = {};
  a.cause = a;
  assert.equal(errorToSocksReply(a), SocksReply.generalFailure);
});

test('SOCKS parsers never throw anything but PtError and never claim more than they have', () => {
  const parsers = [parseGreeting, parseUserPass, parseRequest, parseSocks4Request];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      for (const p of parsers) {
        try {
          const r = p(bytes);
          if (r !== null) assert.ok(r.consumed > 0 && r.consumed <= bytes.length);
        } catch (e) {
          assert.ok(e instanceof PtError, `${p.name} threw ${String(e)}`);
        }
      }
    }),
    { numRuns: 3000 },
  );
  // Garbage after a valid first byte exercises the deeper states.
  fc.assert(
    fc.property(fc.constantFrom(4, 5, 1), fc.uint8Array({ maxLength: 300 }), (first, rest) => {
      const bytes = Buffer.concat([Uint8Array.of(first), rest]);
      for (const p of parsers) {
        try {
          p(bytes);
        } catch (e) {
          assert.ok(e instanceof PtError);
        }
      }
    }),
    { numRuns: 3000 },
  );
});

test('every proper prefix of a valid request is "need more bytes"', () => {
  const valid: Array<[(b: Uint8Array) => unknown, Buffer]> = [
    [parseRequest, h('05 01 00 03 0b 6578616d706c652e636f6d 01bb')],
    [parseRequest, h('05 01 00 04 20010db8000000000000000000000001 0050')],
    [parseUserPass, h('01 03 616263 02 6465')],
    [parseGreeting, h('05 03 00 01 02')],
    [parseSocks4Request, h('04 01 0050 00000001 6b3d76 00 6578616d706c652e636f6d 00')],
  ];
  for (const [p, b] of valid) {
    for (let n = 0; n < b.length; n++)
      assert.equal(p(b.subarray(0, n)), null, `${b.toString('hex')} prefix ${n}`);
    assert.notEqual(p(b), null);
  }
});

// Table tests for the three k=v encodings, with the reference implementations' tables
// (obfs4proxy common/socks5/args_test.go, goptlib args_test.go) plus fuzzing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  clientArgsToSocksAuth,
  encodeClientArgs,
  encodeSmethodArgs,
  parseClientArgs,
  parseServerTransportOptions,
  parseSmethodArgs,
  type PtArgs,
} from '../../src/pt/args.js';
import { InvalidArgsError, PtError } from '../../src/errors.js';

const args = (o: Record<string, string[]>): PtArgs => new Map(Object.entries(o));

test('SOCKS args: the strings obfs4proxy rejects', () => {
  const bad = [
    'key',
    'key\\',
    '=value',
    '==value',
    '==key=value',
    'key=value\\',
    'a=b;key=value\\',
    'a;b=c',
    ';',
    'key=value;',
    ';key=value',
    'key\\=value',
    'key=va\\lue', // only \\, \= and \; are escapes in obfs4proxy
  ];
  for (const s of bad) assert.throws(() => parseClientArgs(s), InvalidArgsError, JSON.stringify(s));
});

test('SOCKS args: the strings obfs4proxy accepts, and what they mean', () => {
  const good: Array<[string, Record<string, string[]>]> = [
    ['', {}],
    ['key=', { key: [''] }],
    ['key==', { key: ['='] }],
    ['key=value', { key: ['value'] }],
    ['a=b=c', { a: ['b=c'] }],
    ['key=a\nb', { key: ['a\nb'] }],
    ['key=value\\;', { key: ['value;'] }],
    ['key="value"', { key: ['"value"'] }],
    ['key=""value""', { key: ['""value""'] }],
    ['"key=value"', { '"key': ['value"'] }],
    ['key=value;key=value', { key: ['value', 'value'] }],
    ['key=value1;key=value2', { key: ['value1', 'value2'] }],
    ['key1=value1;key2=value2;key1=value3', { key1: ['value1', 'value3'], key2: ['value2'] }],
    ['\\;=\\;;\\\\=\\;', { ';': [';'], '\\': [';'] }],
    ['a\\=b=c', { 'a=b': ['c'] }],
    [
      'shared-secret=rahasia;secrets-file=/tmp/blob',
      { 'shared-secret': ['rahasia'], 'secrets-file': ['/tmp/blob'] },
    ],
    ['rocks=20;height=5.6', { rocks: ['20'], height: ['5.6'] }],
    // What tor sends for an obfs4 Bridge line.
    [
      'cert=ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw;iat-mode=0',
      {
        cert: ['ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw'],
        'iat-mode': ['0'],
      },
    ],
  ];
  for (const [s, want] of good) assert.deepEqual(parseClientArgs(s), args(want), JSON.stringify(s));
});

const key = fc.string({ minLength: 1, maxLength: 12 });
const value = fc.string({ maxLength: 12 });
const argsArb = fc
  .array(fc.tuple(key, fc.array(value, { minLength: 1, maxLength: 3 })), {
    minLength: 1,
    maxLength: 5,
  })
  .map((entries) => {
    const m = new Map<string, string[]>();
    for (const [k, vs] of entries) m.set(k, [...(m.get(k) ?? []), ...vs]);
    return m;
  });

test('SOCKS args: encode then parse is the identity; parsing garbage throws only InvalidArgsError', () => {
  fc.assert(
    fc.property(argsArb, (a) => {
      assert.deepEqual(parseClientArgs(encodeClientArgs(a)), a);
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => {
      try {
        parseClientArgs(s);
      } catch (e) {
        assert.ok(e instanceof InvalidArgsError);
      }
    }),
    { numRuns: 2000 },
  );
});

test('SOCKS args: RFC 1929 split as pt-spec §3.5 says', () => {
  const short = clientArgsToSocksAuth(args({ cert: ['abc'] }));
  assert.equal(Buffer.from(short.username).toString(), 'cert=abc');
  assert.deepEqual([...short.password], [0]);
  const long = clientArgsToSocksAuth(args({ k: ['x'.repeat(300)] }));
  assert.equal(long.username.length, 255);
  assert.equal(Buffer.concat([long.username, long.password]).toString(), `k=${'x'.repeat(300)}`);
  assert.throws(() => clientArgsToSocksAuth(args({ k: ['x'.repeat(600)] })), /at most 510/);
});

test('SMETHOD ARGS: sorted keys, every value, = , and \\ escaped (goptlib encodeSmethodArgs)', () => {
  const cases: Array<[Record<string, string[]>, string]> = [
    [{}, ''],
    [{ j: ['v1', 'v2', 'v3'], k: ['v1'], l: [''] }, 'j=v1,j=v2,j=v3,k=v1,l='],
    [{ '=,\\': ['=,\\'] }, '\\=\\,\\\\=\\=\\,\\\\'],
    [{ 'iat-mode': ['0'], cert: ['AbC/+9'] }, 'cert=AbC/+9,iat-mode=0'],
    [{ b: ['1'], a: ['2'], A: ['3'] }, 'A=3,a=2,b=1'],
  ];
  for (const [a, want] of cases) assert.equal(encodeSmethodArgs(args(a)), want);
});

test('server transport options: goptlib good and bad tables', () => {
  const bad = [
    '\\',
    '\\=',
    '\\:',
    't',
    't:',
    't:k',
    't:k\\=v',
    't:=v',
    't:\\=v',
    ':k=v',
    '\\:k=v',
    't:k=v;',
    't:k=v;t',
    't:k=v;t:',
    't:k=v;t:k',
    't:k=v\\',
    't=k:v',
    't;k=v',
  ];
  for (const s of bad) {
    assert.throws(() => parseServerTransportOptions(s), InvalidArgsError, JSON.stringify(s));
  }
  const good: Array<[string, Record<string, Record<string, string[]>>]> = [
    ['', {}],
    ['t:k=v', { t: { k: ['v'] } }],
    ['t:k=v=v', { t: { k: ['v=v'] } }],
    ['t:k=vv', { t: { k: ['vv'] } }],
    ['t1:k=v1;t2:k=v2;t1:k=v3', { t1: { k: ['v1', 'v3'] }, t2: { k: ['v2'] } }],
    [
      't\\:1:k=v;t\\=2:k=v;t\\;3:k=v;t\\\\4:k=v',
      { 't:1': { k: ['v'] }, 't=2': { k: ['v'] }, 't;3': { k: ['v'] }, 't\\4': { k: ['v'] } },
    ],
    [
      't:k\\:1=v;t:k\\=2=v;t:k\\;3=v;t:k\\\\4=v',
      { t: { 'k:1': ['v'], 'k=2': ['v'], 'k;3': ['v'], 'k\\4': ['v'] } },
    ],
    ['t:k=v\\:1;t:k=v\\=2;t:k=v\\;3;t:k=v\\\\4', { t: { k: ['v:1', 'v=2', 'v;3', 'v\\4'] } }],
    [
      'trebuchet:secret=nou;trebuchet:cache=/tmp/cache;ballista:secret=yes',
      {
        trebuchet: { secret: ['nou'], cache: ['/tmp/cache'] },
        ballista: { secret: ['yes'] },
      },
    ],
    ['obfs4:iat-mode=1', { obfs4: { 'iat-mode': ['1'] } }],
  ];
  for (const [s, want] of good) {
    const got = parseServerTransportOptions(s);
    const expect = new Map(Object.entries(want).map(([t, kv]) => [t, args(kv)]));
    assert.deepEqual(got, expect, JSON.stringify(s));
  }
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => {
      try {
        parseServerTransportOptions(s);
      } catch (e) {
        assert.ok(e instanceof PtError);
      }
    }),
    { numRuns: 2000 },
  );
});

test('SMETHOD ARGS decode back to what was encoded', () => {
  assert.deepEqual(
    parseSmethodArgs('cert=AbC/+9,iat-mode=0'),
    args({ cert: ['AbC/+9'], 'iat-mode': ['0'] }),
  );
  assert.deepEqual(parseSmethodArgs(''), new Map());
  assert.throws(() => parseSmethodArgs('cert'), /no "="/);
  assert.throws(() => parseSmethodArgs('=x'), /empty key/);
  fc.assert(
    fc.property(argsArb, (a) => {
      const sorted = new Map([...a.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
      assert.deepEqual(parseSmethodArgs(encodeSmethodArgs(a)), sorted);
    }),
    { numRuns: 500 },
  );
});

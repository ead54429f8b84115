import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCString, PtWriter, sanitizeText } from '../../src/pt/writer.js';

function capture(): { w: PtWriter; lines: string[] } {
  const lines: string[] = [];
  return { w: new PtWriter((l) => lines.push(l)), lines };
}

test('every pt-spec line the writer produces', () => {
  const { w, lines } = capture();
  w.version();
  w.versionError();
  w.versionError('tor offered "2"');
  w.envError('no TOR_PT_STATE_LOCATION environment variable');
  w.proxyDone();
  w.proxyError('proxy URI specified SOCKS4a and a password');
  w.cmethod('obfs4', 'socks5', { host: '127.0.0.1', port: 4321 });
  w.cmethodError('obfs4', 'cannot listen');
  w.cmethodsDone();
  w.smethod(
    'obfs4',
    { host: '::1', port: 443 },
    new Map([
      ['iat-mode', ['0']],
      ['cert', ['Ab+/']],
    ]),
  );
  w.smethod('plain', { host: '0.0.0.0', port: 80 });
  w.smethodError('obfs4', 'port in use');
  w.smethodsDone();
  w.log('warning', 'a "quoted" line\nwith é');
  w.status('obfs4', [['CONNECT', 'Success']]);
  w.statusVersion('steppe', '0.1.0');
  assert.deepEqual(lines, [
    'VERSION 1',
    'VERSION-ERROR no-version',
    'VERSION-ERROR no-version tor offered "2"',
    'ENV-ERROR no TOR_PT_STATE_LOCATION environment variable',
    'PROXY DONE',
    'PROXY-ERROR proxy URI specified SOCKS4a and a password',
    'CMETHOD obfs4 socks5 127.0.0.1:4321',
    'CMETHOD-ERROR obfs4 cannot listen',
    'CMETHODS DONE',
    'SMETHOD obfs4 [::1]:443 ARGS:cert=Ab+/,iat-mode=0',
    'SMETHOD plain 0.0.0.0:80',
    'SMETHOD-ERROR obfs4 port in use',
    'SMETHODS DONE',
    'LOG SEVERITY=warning MESSAGE="a \\042quoted\\042 line\\012with \\303\\251"',
    'STATUS TRANSPORT=obfs4 CONNECT="Success"',
    'STATUS TYPE=version IMPLEMENTATION="steppe" VERSION="0.1.0"',
  ]);
  assert.equal(w.lineCount, lines.length);
});

test('encodeCString matches goptlib (octal for everything outside 32,33,35-91,93-126)', () => {
  const cases: Array<[string, string]> = [
    ['', '""'],
    ['abc', '"abc"'],
    ['"', '"\\042"'],
    ['\\', '"\\134"'],
    ['\x00\x01\n\r\t\x7f', '"\\000\\001\\012\\015\\011\\177"'],
    [' !#[]^~', '" !#[]^~"'],
    ['é', '"\\303\\251"'],
  ];
  for (const [input, want] of cases)
    assert.equal(encodeCString(input), want, JSON.stringify(input));
  // Output is always printable ASCII without a bare quote inside.
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      const enc = encodeCString(s);
      assert.match(enc, /^"[\x20-\x7e]*"$/);
      assert.ok(!enc.slice(1, -1).includes('"'));
    }),
  );
});

test('forbidden keywords, names and args are programmer errors', () => {
  const { w, lines } = capture();
  assert.throws(() => w.line('BAD KEYWORD'), TypeError);
  assert.throws(() => w.line('X', 'a\nb'), TypeError);
  assert.throws(() => w.line('X', 'nul\0'), TypeError);
  assert.throws(() => w.line('X', 'é'), TypeError);
  assert.throws(
    () => w.cmethod('obfs-4', 'socks5', { host: '127.0.0.1', port: 1 }),
    /C identifier/,
  );
  assert.throws(
    () => w.smethod('t', { host: '127.0.0.1', port: 1 }, new Map([['k', ['a b']]])),
    /white space/,
  );
  assert.throws(() => w.status('t', []), TypeError);
  assert.deepEqual(lines, []);
});

test('free-text messages are sanitised, never rejected', () => {
  const { w, lines } = capture();
  w.envError('TOR_PT_STATE_LOCATION "/tmp/é\n": EACCES');
  assert.deepEqual(lines, ['ENV-ERROR TOR_PT_STATE_LOCATION "/tmp/\\u{e9} ": EACCES']);
  assert.equal(sanitizeText('\n'), '(no message)');
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      const { w: w2, lines: l2 } = capture();
      w2.cmethodError('x', s);
      assert.match(l2[0] ?? '', /^CMETHOD-ERROR x [\x20-\x7e]+$/);
    }),
  );
});

// serveSocks over real loopback sockets: byte transcripts of good and malformed sessions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import fc from 'fast-check';
import { serveSocks, type SocksRequest, type SocksSession } from '../../src/socks/server.js';
import { connectTcp } from '../../src/net/proxy.js';
import { InvalidArgsError, PtError } from '../../src/errors.js';
import { SocksError } from '../../src/socks/reply.js';
import { echoServer, readAll, readN, socketPair } from '../net/support/loopback.js';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

interface Harness {
  client: Socket;
  result: Promise<SocksSession>;
  requests: SocksRequest[];
  cleanup: () => Promise<void>;
}

async function harness(
  onConnect: (req: SocksRequest) => Promise<Duplex>,
  opts: { handshakeTimeoutMs?: number; args?: 'pt' | 'raw' } = {},
): Promise<Harness> {
  const [client, serverSide, close] = await socketPair();
  const requests: SocksRequest[] = [];
  const result = serveSocks(serverSide, {
    ...opts,
    onConnect: (req) => {
      requests.push(req);
      return onConnect(req);
    },
  });
  result.catch(() => undefined);
  return {
    client,
    result,
    requests,
    cleanup: async () => {
      client.destroy();
      await close();
    },
  };
}

test('SOCKS5 with tor-style args: auth carries k=v, success only after onConnect, then relay', async () => {
  const echo = await echoServer();
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const hs = await harness(async (req) => {
    await gate;
    return connectTcp(req.target);
  });
  const args = 'cert=AAAA\\=\\=;iat-mode=0';
  const port = Buffer.alloc(2);
  port.writeUInt16BE(echo.port);
  hs.client.write(h('05 02 00 02'));
  assert.equal((await readN(hs.client, 2)).toString('hex'), '0502');
  hs.client.write(
    Buffer.concat([h('01'), Buffer.from([args.length]), Buffer.from(args), h('01 00')]),
  );
  assert.equal((await readN(hs.client, 2)).toString('hex'), '0100');
  hs.client.write(Buffer.concat([h('05 01 00 01 7f000001'), port]));
  // No reply while onConnect is pending.
  await assert.rejects(readN(hs.client, 1, 200), /timeout/);
  release();
  assert.equal((await readN(hs.client, 10)).toString('hex'), '05000001000000000000');
  hs.client.write('hello');
  assert.equal((await readN(hs.client, 5)).toString(), 'hello');
  hs.client.end();
  const sess = await hs.result;
  assert.equal(sess.request.version, 5);
  assert.deepEqual(sess.request.target, { host: '127.0.0.1', port: echo.port });
  assert.deepEqual(
    sess.request.args,
    new Map([
      ['cert', ['AAAA==']],
      ['iat-mode', ['0']],
    ]),
  );
  assert.equal(sess.relay.aToB, 5);
  await hs.cleanup();
  await echo.close();
});

test('SOCKS5 without auth gives null args; a pipelined session split into single bytes works', async () => {
  const echo = await echoServer();
  const hs = await harness((req) => connectTcp(req.target));
  const port = Buffer.alloc(2);
  port.writeUInt16BE(echo.port);
  const all = Buffer.concat([
    h('05 01 00'),
    h('05 01 00 03 09'),
    Buffer.from('127.0.0.1'),
    port,
    Buffer.from('early'),
  ]);
  for (const b of all) {
    hs.client.write(Buffer.of(b));
    await new Promise((r) => setImmediate(r));
  }
  assert.equal((await readN(hs.client, 2)).toString('hex'), '0500');
  assert.equal((await readN(hs.client, 10)).toString('hex'), '05000001000000000000');
  // Data sent before the reply reaches the target first, in order.
  assert.equal((await readN(hs.client, 5)).toString(), 'early');
  hs.client.end();
  const sess = await hs.result;
  assert.equal(sess.request.args, null);
  await hs.cleanup();
  await echo.close();
});

test('malformed SOCKS args fail the RFC 1929 step with an explanation', async () => {
  const hs = await harness(() => Promise.reject(new Error('must not be called')));
  const bad = 'cert';
  hs.client.write(
    Buffer.concat([
      h('05 01 02'),
      h('01'),
      Buffer.from([bad.length]),
      Buffer.from(bad),
      h('01 00'),
    ]),
  );
  assert.equal((await readN(hs.client, 4)).toString('hex'), '05020101');
  await assert.rejects(
    hs.result,
    (e: unknown) => e instanceof InvalidArgsError && /no "=value"/.test(e.message),
  );
  assert.equal(hs.requests.length, 0);
  await readAll(hs.client);
  await hs.cleanup();
});

test('a failed onConnect answers with the mapped reply code', async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const hs = await harness(() =>
    Promise.reject(new PtError('ERR_CONNECT', 'cannot connect', { cause: refused })),
  );
  hs.client.write(h('05 01 00 05 01 00 01 0a000001 0050'));
  assert.equal((await readN(hs.client, 12)).toString('hex'), '0500' + '05050001000000000000');
  await assert.rejects(hs.result, (e: unknown) => e instanceof PtError && e.code === 'ERR_CONNECT');
  await readAll(hs.client);
  await hs.cleanup();
});

test('unsupported command, address type and bad version get their replies', async () => {
  const cases: Array<[string, string]> = [
    ['05 01 00 05 02 00 01 0a000001 0050', '0500' + '05070001000000000000'],
    ['05 01 00 05 01 00 07', '0500' + '05080001000000000000'],
    ['05 01 00 06', '0500' + '05010001000000000000'],
    ['05 01 05', '05ff'],
    ['04 02 0050 01020304 00', '005b000000000000'],
  ];
  for (const [send, want] of cases) {
    const hs = await harness(() => Promise.reject(new Error('must not be called')));
    hs.client.write(h(send));
    const got = await readAll(hs.client);
    assert.equal(got.toString('hex'), want, send);
    await assert.rejects(hs.result, SocksError);
    await hs.cleanup();
  }
});

test('an HTTP request on the SOCKS port is refused with a clear reason', async () => {
  const hs = await harness(() => Promise.reject(new Error('unused')));
  hs.client.write('GET / HTTP/1.1\r\n\r\n');
  await assert.rejects(hs.result, /HTTP request arrived on a SOCKS port/);
  assert.equal((await readAll(hs.client)).length, 0);
  await hs.cleanup();
});

test('a silent client is dropped after the handshake timeout', async () => {
  const hs = await harness(() => Promise.reject(new Error('unused')), { handshakeTimeoutMs: 200 });
  hs.client.write(h('05 01'));
  await assert.rejects(hs.result, /timed out waiting for the SOCKS5 greeting/);
  await readAll(hs.client);
  await hs.cleanup();
});

test('SOCKS4a with args in USERID', async () => {
  const echo = await echoServer();
  const hs = await harness((req) => connectTcp(req.target));
  const port = Buffer.alloc(2);
  port.writeUInt16BE(echo.port);
  hs.client.write(
    Buffer.concat([
      h('04 01'),
      port,
      h('00000001'),
      Buffer.from('a=b;c=d\\;'),
      h('00'),
      Buffer.from('localhost'),
      h('00'),
    ]),
  );
  assert.equal((await readN(hs.client, 8)).toString('hex'), '005a000000000000');
  hs.client.end('x');
  assert.equal((await readAll(hs.client)).toString(), 'x');
  const sess = await hs.result;
  assert.equal(sess.request.version, 4);
  assert.deepEqual(
    sess.request.args,
    new Map([
      ['a', ['b']],
      ['c', ['d;']],
    ]),
  );
  assert.deepEqual(sess.request.target, { host: 'localhost', port: echo.port });
  await hs.cleanup();
  await echo.close();
});

test('raw mode prefers no-auth and passes credentials through unparsed', async () => {
  const hs = await harness(() => Promise.reject(new SocksError('nope', 2)), { args: 'raw' });
  hs.client.write(h('05 01 02 01 01 41 01 42 05 01 00 01 01020304 0050'));
  assert.equal(
    (await readAll(hs.client)).toString('hex'),
    '0502' + '0100' + '05020001000000000000',
  );
  assert.equal(hs.requests[0]?.args, null);
  assert.equal(Buffer.from(hs.requests[0]?.credentials?.password ?? []).toString(), 'B');
  await hs.cleanup();
});

test('random garbage never crashes serveSocks and always ends the connection', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), async (bytes) => {
      const hs = await harness(() => Promise.reject(new Error('refused')), {
        handshakeTimeoutMs: 300,
      });
      hs.client.write(bytes);
      hs.client.end();
      await readAll(hs.client, 5000);
      await hs.result.then(
        () => undefined,
        () => undefined,
      );
      await hs.cleanup();
    }),
    { numRuns: 40 },
  );
});

// dummy and b64, the Python obfsproxy's test transports.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { randomBytes } from '../../../src/crypto/random.js';
import { PtError } from '../../../src/errors.js';
import { B64Codec } from '../../../src/transports/b64/codec.js';
import { b64 } from '../../../src/transports/b64/index.js';
import { dummy } from '../../../src/transports/dummy/index.js';
import type { CodecTransportApi } from '../../../src/transports/codec-transport.js';
import { echoTransfer } from '../../_support/transfer.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

test('b64: each write is its standard base64 text, as Python base64.b64encode makes it', () => {
  const c = new B64Codec();
  assert.equal(str(c.encode(text('a'))), 'YQ==');
  assert.equal(str(c.encode(text('bc'))), 'YmM=');
  assert.equal(str(c.encode(text('def'))), 'ZGVm');
  assert.equal(str(c.encode(new Uint8Array(0))), '');
});

test('b64: concatenated padded texts decode however they are split', () => {
  // What a Python obfsproxy b64 peer sends for writes "a", "bc", "def", "ghij"
  const wire = text('YQ==YmM=ZGVmZ2hpag==');
  for (let cut = 0; cut <= wire.length; cut++) {
    const c = new B64Codec();
    const out = Buffer.concat([c.decode(wire.subarray(0, cut)), c.decode(wire.subarray(cut))]);
    assert.equal(out.toString(), 'abcdefghij', `cut at ${cut}`);
  }
  const bytewise = new B64Codec();
  assert.equal(
    Buffer.concat([...wire].map((b) => bytewise.decode(Uint8Array.of(b)))).toString(),
    'abcdefghij',
  );
});

test('b64: white space is skipped, other characters are one clear error', () => {
  assert.equal(str(new B64Codec().decode(text('YW\r\nJj\n'))), 'abc');
  for (const bad of ['YW*j', 'Y===', '=YWJ', 'YQ=a'])
    assert.throws(
      () => new B64Codec().decode(text(bad)),
      (e: PtError) => e.code === 'ERR_FRAME_INVALID',
      bad,
    );
});

test('b64: random data round-trips through random splits', () => {
  for (let i = 0; i < 50; i++) {
    const tx = new B64Codec();
    const rx = new B64Codec();
    const parts = Array.from({ length: 5 }, () => randomBytes(Math.floor(Math.random() * 300)));
    const wire = Buffer.concat(parts.map((p) => tx.encode(p)));
    const out: Uint8Array[] = [];
    for (let off = 0; off < wire.length;) {
      const n = 1 + Math.floor(Math.random() * 97);
      out.push(rx.decode(wire.subarray(off, off + n)));
      off += n;
    }
    assert.deepEqual(Buffer.concat(out), Buffer.concat(parts));
  }
});

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function echoServer(t: CodecTransportApi): Promise<number> {
  const f = await t.createServer();
  const server = createServer((sock) => {
    void f.accept(sock).then((st) => {
      st.on('error', () => {});
      st.pipe(st);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

for (const [name, t] of [
  ['dummy', dummy],
  ['b64', b64],
] as const) {
  test(`${name}: client and server, 2 MiB echo and 8 concurrent connections`, async () => {
    const port = await echoServer(t);
    const r = await echoTransfer(await t.dial({ host: '127.0.0.1', port }), 2 << 20);
    assert.equal(r.receivedSha, r.sentSha);
    const rs = await Promise.all(
      Array.from({ length: 8 }, async () =>
        echoTransfer(await t.dial({ host: '127.0.0.1', port }), 64 << 10),
      ),
    );
    for (const x of rs) assert.equal(x.receivedSha, x.sentSha);
  });
}

test('b64 on the wire: a raw client sees base64 text, and what it sends is decoded', async () => {
  const port = await echoServer(b64);
  const got = await new Promise<string>((resolve) => {
    const s = connect(port, '127.0.0.1');
    let all = '';
    s.on('data', (d: Buffer) => {
      all += d.toString('latin1');
      if (all.length < 8) return;
      s.destroy();
      resolve(all);
    });
    s.on('connect', () => s.write('aGk=aGk='));
  });
  assert.match(got, /^[A-Za-z0-9+/=]+$/);
  assert.equal(Buffer.from(got, 'base64').toString(), 'hihi');
});

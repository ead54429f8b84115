import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Middlebox } from '../../../src/bench/censor/middlebox.js';
import { Pipeline } from '../../../src/bench/censor/pipeline.js';
import { ipBlocklist } from '../../../src/bench/censor/models/ip-blocklist.js';
import { volumeFreeze } from '../../../src/bench/censor/models/volume-freeze.js';
import type { CensorModel } from '../../../src/bench/censor/types.js';
import { waitFor } from '../helpers.js';

async function server(
  onConn: (s: Socket) => void,
): Promise<{ srv: Server; port: number; conns: () => number }> {
  let n = 0;
  const srv = createServer({ allowHalfOpen: true }, (s) => {
    n++;
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, port: (srv.address() as AddressInfo).port, conns: () => n };
}

function client(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });
}

function collect(s: Socket): { data: () => Buffer; ended: Promise<'end' | 'reset' | 'close'> } {
  const parts: Buffer[] = [];
  s.on('data', (d: Buffer) => parts.push(d));
  const ended = new Promise<'end' | 'reset' | 'close'>((resolve) => {
    s.once('end', () => resolve('end'));
    s.once('error', (e: NodeJS.ErrnoException) =>
      resolve(e.code === 'ECONNRESET' ? 'reset' : 'close'),
    );
    s.once('close', () => resolve('close'));
  });
  return { data: () => Buffer.concat(parts), ended };
}

test('relays bytes unchanged both ways, with half-close, and logs nothing without models', async () => {
  // The server answers with the SHA-256 of everything it got, after the client's FIN.
  const up = await server((s) => {
    const h = createHash('sha256');
    s.on('data', (d: Buffer) => h.update(d));
    s.on('end', () => s.end(h.digest()));
  });
  const mb = await Middlebox.listen({
    target: { host: '127.0.0.1', port: up.port },
    pipeline: new Pipeline([]),
  });
  try {
    const c = await client(mb.address.port);
    const got = collect(c);
    const data = randomBytes(3 << 20);
    c.end(data);
    assert.equal(await got.ended, 'end');
    assert.deepEqual(got.data(), createHash('sha256').update(data).digest());
    assert.equal(mb.flows()[0]!.bytes.c2s, data.length);
    assert.equal(mb.pipeline.log.records().length, 0);
  } finally {
    await mb.close();
    up.srv.close();
  }
});

test('a server that speaks first is relayed before the client sends anything', async () => {
  const up = await server((s) => s.write('SSH-2.0-test\r\n'));
  const mb = await Middlebox.listen({
    target: { host: '127.0.0.1', port: up.port },
    pipeline: new Pipeline([]),
  });
  try {
    const c = await client(mb.address.port);
    const got = collect(c);
    assert.ok(await waitFor(() => got.data().toString() === 'SSH-2.0-test\r\n'));
    c.destroy();
  } finally {
    await mb.close();
    up.srv.close();
  }
});

test('dropSyn: the client is accepted but nothing reaches the server and nothing comes back', async () => {
  const up = await server((s) => s.write('hello'));
  const pipe = new Pipeline([ipBlocklist({ list: [`127.0.0.1:${up.port}`] })]);
  const mb = await Middlebox.listen({
    target: { host: '127.0.0.1', port: up.port },
    pipeline: pipe,
  });
  try {
    const c = await client(mb.address.port);
    const got = collect(c);
    c.write('anything');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(up.conns(), 0);
    assert.equal(got.data().length, 0);
    assert.equal(c.destroyed, false);
    assert.equal(mb.flows()[0]!.start, 'dropSyn');
    assert.equal(pipe.log.records()[0]!.rule, 'static');
    c.destroy();
  } finally {
    await mb.close();
    up.srv.close();
  }
});

test('rst: the client sees a reset', async () => {
  const up = await server(() => {});
  const mb = await Middlebox.listen({
    target: { host: '127.0.0.1', port: up.port },
    pipeline: new Pipeline([ipBlocklist({ list: ['127.0.0.1'], mode: 'ip', action: 'rst' })]),
  });
  try {
    const c = connect({ host: '127.0.0.1', port: mb.address.port });
    const got = collect(c);
    assert.equal(await got.ended, 'reset');
  } finally {
    await mb.close();
    up.srv.close();
  }
});

test('dropRest stops both directions from the matching chunk on, FIN included', async () => {
  let serverGot = '';
  const up = await server((s) => {
    s.on('data', (d: Buffer) => {
      serverGot += d.toString();
      s.write(`ack ${d.length};`);
    });
  });
  const trigger: CensorModel = {
    name: 'test-keyword',
    inspect: () => ({
      onChunk: (c) =>
        c.dir === 'c2s' && Buffer.from(c.bytes).includes('ultrasurf')
          ? {
              model: 'test-keyword',
              rule: 'keyword',
              verdict: 'block',
              action: 'dropRest',
              evidence: {},
            }
          : undefined,
    }),
  };
  const mb = await Middlebox.listen({
    target: { host: '127.0.0.1', port: up.port },
    pipeline: new Pipeline([trigger]),
  });
  try {
    const c = await client(mb.address.port);
    const got = collect(c);
    c.write('hello');
    assert.ok(await waitFor(() => got.data().toString() === 'ack 5;'));
    c.write('ultrasurf');
    await new Promise((r) => setTimeout(r, 100));
    c.end('more');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(serverGot, 'hello');
    assert.equal(got.data().toString(), 'ack 5;');
    assert.equal(c.readableEnded, false);
    c.destroy();
  } finally {
    await mb.close();
    up.srv.close();
  }
});

test('volume-freeze forwards exactly the threshold server→client, then nothing', async () => {
  const up = await server((s) => s.write(randomBytes(50_000)));
  const mb = await Middlebox.listen({
    target: { host: '127.0.0.1', port: up.port },
    pipeline: new Pipeline([volumeFreeze({ threshold: 16384 })]),
  });
  try {
    const c = await client(mb.address.port);
    const got = collect(c);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(got.data().length, 16384);
    c.destroy();
  } finally {
    await mb.close();
    up.srv.close();
  }
});

test('refuses anything but loopback', async () => {
  await assert.rejects(
    Middlebox.listen({ target: { host: '192.0.2.1', port: 80 }, pipeline: new Pipeline([]) }),
    RangeError,
  );
  await assert.rejects(
    Middlebox.listen({
      target: { host: '127.0.0.1', port: 80 },
      host: '0.0.0.0',
      pipeline: new Pipeline([]),
    }),
    RangeError,
  );
});

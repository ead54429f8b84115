// One transport compliance suite, in the spirit of libp2p's interface-compliance-tests: what
// every steppe transport must do as a Node Duplex over a real loopback TCP connection, whatever
// its wire format. A transport is added to it with one line in compliance.test.ts.
//
// - round trips at every write size, and across random splits of the bytes on the wire;
// - backpressure: a reader that stops reading stalls the writer, and nothing is lost;
// - half-open (one side ends, the other keeps writing) and abrupt close (a reset mid-transfer);
// - garbage to the server: what comes back (nothing, or the transport's own answer) and that the
//   connection is closed by the transport's policy (its deadline, or the peer's FIN);
// - timeouts: a silent client is dropped at the server's handshake deadline; a client dial is
//   cancelled by its signal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenTcp, type Listener } from '../../src/net/listen.js';
import type { ClientFactory, PtArgs, ServerFactory } from '../../src/transports/types.js';
import type { HostPort } from '../../src/net/address.js';
import { sample, sweep } from '../_support/sweep.js';

export interface ComplianceSubject {
  readonly name: string;
  /** The server, with its handshake deadline (and close delay) shortened to `timeoutMs`-ish. */
  createServer(stateDir: string, timeoutMs: number): Promise<ServerFactory>;
  createClient(): ClientFactory;
  /** The args a client needs for `server` listening at `at` (default: its clientArgs). */
  clientArgs?(server: ServerFactory, at: HostPort): PtArgs;
  /**
   * What the server does with bytes that are not a handshake:
   * 'silent'  nothing back, ever (obfs4, scramblesuit);
   * 'answers' its own bytes back (obfs2/obfs3 send their half of the handshake; an HTTP server
   *           answers an error page);
   * 'data'    there is no handshake: garbage is data (dummy, b64).
   */
  readonly garbage: 'silent' | 'answers' | 'data';
}

/** The shortened server deadline the suite runs with. */
const TIMEOUT_MS = 1500;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Wraps a socket so that what it reads reaches the transport in random pieces (1 byte to a few
 * KiB), as TCP may deliver it: every parser sees every kind of split. Writes pass through.
 */
function splitting(socket: Socket, seed: number): Duplex {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32: reproducible from the seed printed on failure
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  const d = new Duplex({
    allowHalfOpen: true,
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (b: Buffer) => {
    let off = 0;
    let more = true;
    while (off < b.length) {
      const n = 1 + Math.floor(next() * (next() < 0.5 ? 16 : 4096));
      more = d.push(b.subarray(off, off + n));
      off += n;
    }
    if (!more) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', (e) => d.destroy(e));
  socket.on('close', () => d.destroy());
  return d;
}

interface Pair {
  readonly client: Duplex;
  readonly server: Duplex;
  readonly clientSocket: Socket;
}

interface Harness {
  readonly factory: ServerFactory;
  readonly address: HostPort;
  /** A client connection, with the server's side of it. */
  pair(opts?: { splitSeed?: number }): Promise<Pair>;
  /** Server-side accept() outcomes of raw connections (rejections are handshake failures). */
  readonly failures: Error[];
  close(): Promise<void>;
}

async function startHarness(subject: ComplianceSubject): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), `steppe-compliance-${subject.name}-`));
  const factory = await subject.createServer(dir, TIMEOUT_MS);
  const accepted: Array<(s: Duplex) => void> = [];
  const failures: Error[] = [];
  let nextSplit: number | undefined;
  const sockets = new Set<Socket>();
  const listener: Listener = await listenTcp({
    host: '127.0.0.1',
    port: 0,
    onConnection: (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      const seed = nextSplit;
      nextSplit = undefined;
      const wire = seed === undefined ? socket : splitting(socket, seed);
      // A connection no test asked for is served as a real server serves it: relayed to an
      // application (an echo), which reads what the transport decodes.
      factory.accept(wire).then(
        (s) => (accepted.shift() ?? echo)(s),
        (e: Error) => failures.push(e),
      );
    },
  });
  const client = subject.createClient();
  const args = subject.clientArgs?.(factory, listener.address) ?? factory.clientArgs;
  return {
    factory,
    address: listener.address,
    failures,
    pair: async (opts = {}) => {
      nextSplit = opts.splitSeed === undefined ? undefined : opts.splitSeed ^ 0x5a5a5a5a;
      const serverSide = new Promise<Duplex>((r) => accepted.push(r));
      const raw = connect({ ...listener.address, allowHalfOpen: true });
      await new Promise<void>((r, j) => raw.once('connect', r).once('error', j));
      const wire = opts.splitSeed === undefined ? raw : splitting(raw, opts.splitSeed);
      const c = await client.wrap(wire, client.parseArgs(args));
      return { client: c, server: await serverSide, clientSocket: raw };
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await listener.close();
      await factory.close?.();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Reads exactly `n` bytes from `s` (bounded in time). */
function readBytes(s: Duplex, n: number, timeoutMs = 20_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(
      () => done(new Error(`only ${got} of ${n} bytes in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (d: Buffer): void => {
      parts.push(d);
      got += d.length;
      if (got >= n) done();
    };
    const onEnd = (e?: Error): void =>
      done(new Error(`stream ${e ? `failed (${e.message})` : 'ended'} after ${got} of ${n} bytes`));
    const done = (err?: Error): void => {
      clearTimeout(timer);
      s.off('data', onData);
      s.off('end', onEnd);
      s.off('error', onEnd);
      s.pause();
      if (err) {
        reject(err);
        return;
      }
      const all = Buffer.concat(parts);
      if (all.length > n) s.unshift(all.subarray(n));
      resolve(all.subarray(0, n));
    };
    s.on('data', onData);
    s.once('end', onEnd);
    s.once('error', onEnd);
    s.resume();
  });
}

/** Echoes everything `s` reads back to it (the far application), ending when it ends. */
function echo(s: Duplex): void {
  s.on('error', () => s.destroy());
  s.pipe(s);
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function complianceSuite(subject: ComplianceSubject): void {
  const t = (name: string, fn: (h: Harness) => Promise<void>): void => {
    test(`${subject.name} compliance: ${name}`, { timeout: 120_000 }, async () => {
      const h = await startHarness(subject);
      try {
        await fn(h);
      } finally {
        await h.close();
      }
    });
  };

  t('round trips at every write size', async (h) => {
    const { client, server } = await h.pair();
    echo(server);
    // Every size to 1500 (the frame and MTU boundaries of every transport are below it), then
    // sampled sizes to 256 KiB (sampled in CI too: the whole range would take hours).
    const sizes = [...sweep(1, 1500, 300), ...sample(1501, 256 * 1024, 24)];
    for (const n of sizes) {
      const msg = randomBytes(n);
      client.write(msg);
      const back = await readBytes(client, n);
      assert.ok(back.equals(msg), `${n}-byte write came back different`);
    }
    client.destroy();
  });

  t('random splits of the wire bytes, both ways, during the handshake and after', async (h) => {
    const runs = process.env.CI === 'true' ? 12 : 4;
    for (let i = 0; i < runs; i++) {
      const seed = (Date.now() + i * 7919) >>> 0;
      const { client, server } = await h.pair({ splitSeed: seed });
      echo(server);
      const msg = randomBytes(96 * 1024 + i * 131);
      client.write(msg);
      const back = await readBytes(client, msg.length);
      assert.equal(sha(back), sha(msg), `split seed ${seed}`);
      client.destroy();
    }
  });

  t('backpressure: a reader that stops stalls the writer, and nothing is lost', async (h) => {
    const { client, server } = await h.pair();
    client.on('error', () => {});
    server.pause();
    const sent = createHash('sha256');
    let written = 0;
    let stalled = false;
    // Write with backpressure until the writer has been told to wait and stays waiting.
    const writeFor = async (ms: number): Promise<void> => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const chunk = randomBytes(64 * 1024);
        sent.update(chunk);
        written += chunk.length;
        if (!client.write(chunk)) {
          stalled = true;
          const drained = await Promise.race([
            new Promise<boolean>((r) => client.once('drain', () => r(true))),
            sleep(Math.max(0, until - Date.now())).then(() => false),
          ]);
          if (!drained) return;
        }
      }
    };
    await writeFor(1500);
    assert.ok(stalled, 'write() never returned false');
    // Still waiting: while nobody reads, no 'drain' comes.
    const drained = await Promise.race([
      new Promise<boolean>((r) => client.once('drain', () => r(true))),
      sleep(600).then(() => false),
    ]);
    assert.equal(drained, false, 'the writer was let go on while nobody read');
    assert.ok(written < 64 * 1024 * 1024, `${written} bytes buffered for a reader that stopped`);
    // Now read: everything arrives, in order.
    const got = createHash('sha256');
    let received = 0;
    const all = new Promise<void>((resolve) => {
      server.on('data', (d: Buffer) => {
        got.update(d);
        received += d.length;
        if (received >= written) resolve();
      });
    });
    server.resume();
    await Promise.race([all, sleep(30_000)]);
    assert.equal(received, written);
    assert.equal(got.digest('hex'), sent.digest('hex'));
    client.destroy();
  });

  t(
    'half-open: after the client ends, the server still writes and the client still reads',
    async (h) => {
      const { client, server } = await h.pair();
      const ended = new Promise<void>((r) => server.once('end', r));
      server.resume();
      client.end(Buffer.from('last words'));
      await Promise.race([
        ended,
        sleep(10_000).then(() => assert.fail("the server never saw the client's end")),
      ]);
      const reply = randomBytes(70_000);
      server.end(reply);
      const back = await readBytes(client, reply.length);
      assert.ok(back.equals(reply));
      await Promise.race([
        new Promise<void>((r) => (client.readableEnded ? r() : client.once('end', r).resume())),
        sleep(10_000).then(() => assert.fail("the client never saw the server's end")),
      ]);
    },
  );

  t('abrupt close: a reset mid-transfer closes the other side promptly', async (h) => {
    const { client, server, clientSocket } = await h.pair();
    server.on('error', () => {});
    client.on('error', () => {});
    echo(server);
    client.write(randomBytes(200_000));
    await sleep(50);
    const closed = new Promise<void>((r) => server.once('close', r));
    clientSocket.resetAndDestroy();
    await Promise.race([
      closed,
      sleep(5000).then(() => assert.fail('the server side did not close after a reset')),
    ]);
  });

  if (subject.garbage !== 'data') {
    t(
      `garbage to the server: ${subject.garbage === 'silent' ? 'not a byte back' : 'its own answer'}, then closed by its policy`,
      async (h) => {
        // 1 byte: an unfinished handshake, closed at the deadline. 20000 bytes: past every
        // transport's bound on what may precede a valid handshake (obfs4 8192, obfs3's magic
        // 8226, ScrambleSuit 1532, an 8 KiB HTTP header), closed by that rule.
        for (const size of [1, 20_000]) {
          const s = connect({ ...h.address, allowHalfOpen: true });
          await new Promise<void>((r) => s.once('connect', r));
          let back = 0;
          s.on('data', (d: Buffer) => (back += d.length));
          s.on('error', () => {});
          const closed = new Promise<'fin' | 'rst'>((r) => {
            s.once('end', () => r('fin'));
            s.once('error', () => r('rst'));
          });
          const started = Date.now();
          s.write(randomBytes(size));
          // Within the shortened deadline plus the longest close delay a transport adds.
          const how = await Promise.race([
            closed,
            sleep(TIMEOUT_MS * 4 + 2000).then(() => 'open' as const),
          ]);
          const ms = Date.now() - started;
          s.destroy();
          assert.notEqual(how, 'open', `${size} garbage bytes: still open after ${ms} ms`);
          if (subject.garbage === 'silent')
            assert.equal(back, 0, `${size} garbage bytes got ${back} back`);
        }
        assert.ok(h.failures.length >= 1, 'accept() rejected none of the garbage connections');
      },
    );

    t('a silent client is dropped at the handshake deadline; it then sees a FIN', async (h) => {
      const s = connect({ ...h.address, allowHalfOpen: true });
      await new Promise<void>((r) => s.once('connect', r));
      s.on('error', () => {});
      // read (and drop) whatever the server says, so that its FIN is seen
      s.resume();
      const started = Date.now();
      const how = await Promise.race([
        new Promise<string>((r) => {
          s.once('end', () => r('fin'));
          s.once('error', () => r('rst'));
        }),
        sleep(TIMEOUT_MS * 4 + 2000).then(() => 'open'),
      ]);
      const ms = Date.now() - started;
      s.destroy();
      assert.equal(how, 'fin', `after ${ms} ms`);
      assert.ok(
        ms >= TIMEOUT_MS - 100,
        `closed after ${ms} ms, before the ${TIMEOUT_MS} ms deadline`,
      );
      assert.ok(
        h.failures.some((e) => /timed out|in time|timeout/i.test(e.message)),
        h.failures.map((e) => e.message).join('; '),
      );
    });
  }

  test(`${subject.name} compliance: a client dial towards a server that never answers is cancelled by its signal`, async () => {
    const mute = createServer({ allowHalfOpen: true }, (s) => s.on('error', () => {}));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const dir = await mkdtemp(join(tmpdir(), `steppe-compliance-${subject.name}-`));
    try {
      const port = (mute.address() as AddressInfo).port;
      const factory = await subject.createServer(dir, TIMEOUT_MS);
      const at = { host: '127.0.0.1', port };
      const client = subject.createClient();
      const args = client.parseArgs(subject.clientArgs?.(factory, at) ?? factory.clientArgs);
      const raw = connect({ ...at, allowHalfOpen: true });
      await new Promise<void>((r) => raw.once('connect', r));
      const started = Date.now();
      const outcome = await client.wrap(raw, args, { signal: AbortSignal.timeout(400) }).then(
        (s) => {
          s.destroy();
          return 'connected';
        },
        (e: Error) => e,
      );
      if (subject.garbage === 'data') {
        // No handshake: there is nothing to wait for.
        assert.equal(outcome, 'connected');
      } else {
        assert.ok(outcome instanceof Error, 'the handshake completed against a mute server');
        assert.ok(Date.now() - started < 3000, `cancelled after ${Date.now() - started} ms`);
        assert.ok(raw.destroyed, 'the socket of a cancelled dial is left open');
      }
      await factory.close?.();
    } finally {
      mute.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

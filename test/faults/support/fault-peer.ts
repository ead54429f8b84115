// A misbehaving peer, run as its own process so that a test can really kill -9 it. It drives one
// connection to a chosen phase, prints "ready" on stdout, and then waits: the test either writes
// "rst" on its stdin (the socket is reset, then the process exits) or sends SIGKILL (the kernel
// closes the socket, as when a client crashes).
//
//   fault-peer tunnel <share> <phase>   towards a transport server (steppe server / managed bridge)
//       phase: tcp (connected, nothing sent), handshake (part of a handshake sent),
//              forward (handshake done; the server is reaching its target), data (mid-transfer)
//   fault-peer app <port> <phase> [<socks-args> <target-host:port>]   towards a client front
//       phase: tcp, socks (SOCKS greeting only), dial (SOCKS request sent: the client is
//              reaching the bridge), data (mid-transfer); socks-args '-' for a plain port
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { builtinRegistry } from '../../../src/transports/builtins.js';
import { parseShare } from '../../../src/cli/share.js';
import { parseHostPort } from '../../../src/net/address.js';

const CHUNK = 16 * 1024;
/** "data" is reported once this much came back, so the connection is really mid-transfer. */
const DATA_READY_BYTES = 256 * 1024;

function tcp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, allowHalfOpen: true });
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

function ready(raw: Socket): void {
  process.stdout.write('ready\n');
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d: string) => {
    if (d.includes('rst')) {
      raw.resetAndDestroy();
      // let the RST leave before the process does
      setTimeout(() => process.exit(0), 50);
    }
  });
}

/** Keeps writing (with backpressure) and reading; resolves once DATA_READY_BYTES came back. */
function flow(stream: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    let back = 0;
    let reported = false;
    stream.on('data', (d: Buffer) => {
      back += d.length;
      if (!reported && back >= DATA_READY_BYTES) {
        reported = true;
        resolve();
      }
    });
    stream.on('error', reject);
    stream.once('close', () => reject(new Error(`closed after ${back} bytes came back`)));
    stream.resume();
    const pump = (): void => {
      while (stream.write(randomBytes(CHUNK)));
      stream.once('drain', pump);
    };
    pump();
  });
}

function readN(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= n) {
        s.off('data', onData);
        s.pause();
        if (buf.length > n) s.unshift(buf.subarray(n));
        resolve(buf.subarray(0, n));
      }
    };
    s.on('data', onData);
    s.once('close', () => reject(new Error(`closed after ${buf.length} of ${n} bytes`)));
    s.resume();
  });
}

async function tunnelPeer(share: string, phase: string): Promise<void> {
  const info = parseShare(share);
  const raw = await tcp(info.server.host, info.server.port);
  raw.on('error', () => {});
  if (phase === 'tcp') return ready(raw);
  if (phase === 'handshake') {
    raw.write(randomBytes(64));
    return ready(raw);
  }
  const transport = builtinRegistry().get(info.transport);
  if (transport === undefined) throw new Error(`no transport ${info.transport}`);
  const factory = transport.createClient();
  const args = new Map([...info.args].map(([k, v]) => [k, [v]]));
  const stream = await factory.wrap(raw, factory.parseArgs(args));
  stream.on('error', () => {});
  if (phase === 'data') await flow(stream);
  ready(raw);
}

async function appPeer(
  port: number,
  phase: string,
  socksArgs?: string,
  target?: string,
): Promise<void> {
  const raw = await tcp('127.0.0.1', port);
  raw.on('error', () => {});
  if (phase === 'tcp') return ready(raw);
  if (socksArgs !== undefined && socksArgs !== '-') {
    // As tor does: username/password carrying the args, or no authentication without any.
    const arg = Buffer.from(socksArgs);
    raw.write(Buffer.of(5, 1, arg.length === 0 ? 0 : 2));
    if (phase === 'socks') return ready(raw);
    await readN(raw, 2);
    if (arg.length > 0) {
      const user = arg.subarray(0, Math.min(255, arg.length));
      const pass = arg.length > 255 ? arg.subarray(255) : Buffer.of(0);
      raw.write(Buffer.concat([Buffer.of(1, user.length), user, Buffer.of(pass.length), pass]));
      await readN(raw, 2);
    }
    const t = parseHostPort(target ?? '');
    const ip = t.host.split('.').map(Number);
    raw.write(Buffer.of(5, 1, 0, 1, ...ip, t.port >> 8, t.port & 0xff));
    if (phase === 'dial') return ready(raw);
    const reply = await readN(raw, 10);
    if (reply[1] !== 0) throw new Error(`SOCKS reply ${reply[1]}`);
  }
  await flow(raw);
  ready(raw);
}

const [role, a, b, c, d] = process.argv.slice(2);
const run = role === 'tunnel' ? tunnelPeer(a ?? '', b ?? '') : appPeer(Number(a), b ?? '', c, d);
run.catch((e: unknown) => {
  process.stderr.write(`fault-peer: ${(e as Error).message}\n`);
  process.exit(1);
});

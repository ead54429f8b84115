/**
 * steppe's obfs4 data path alone, in one process, through the public library API: an obfs4
 * server and client on loopback, no SOCKS, no managed-mode plumbing, no second process. Both
 * ends share one core, so the result is the per-byte cost of encode + decode + stream plumbing,
 * which is what to profile:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/perf/inproc.js [--seconds 5] [--dir up|down] [--iat 0]
 *   node dist/bench/perf/profile.js /tmp/prof
 */
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { randomFillSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { obfs4, type IatMode } from '../../src/index.js';
import { pump } from './sink.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    dir: { type: 'string', default: 'up' },
    iat: { type: 'string', default: '0' },
    chunk: { type: 'string', default: String(256 * 1024) },
  },
});
const seconds = Math.min(120, Number(values.seconds));
const dir = values.dir === 'down' ? 'down' : 'up';
const iatMode = Number(values.iat) as IatMode;

const stateDir = mkdtempSync(join(tmpdir(), 'steppe-inproc-'));
const factory = await obfs4.createServer({ stateDir, iatMode });
const chunk = Buffer.alloc(Number(values.chunk));
randomFillSync(chunk);
let received = 0;
const count = (b: Buffer): void => {
  received += b.length;
};

// The server side: accept, handshake, then discard (up) or send (down).
const server = createServer({ noDelay: true }, (raw: Socket) => {
  raw.on('error', () => {});
  factory.accept(raw).then(
    (s) => {
      s.on('error', () => {});
      if (dir === 'up') s.on('data', count);
      else pump(s as unknown as Socket, chunk);
    },
    () => raw.destroy(),
  );
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const addr = server.address();
const port = typeof addr === 'object' && addr !== null ? addr.port : 0;

const client = await obfs4.dial({ host: '127.0.0.1', port, cert: factory.cert, iatMode });
client.on('error', () => {});
let stop = (): void => {};
if (dir === 'up') stop = pump(client as unknown as Socket, chunk);
else client.on('data', count);

await sleep(500);
const b0 = received;
const c0 = process.cpuUsage();
const t0 = performance.now();
await sleep(seconds * 1000);
const b1 = received;
const c1 = process.cpuUsage(c0);
const t1 = performance.now();
stop();
client.destroy();
server.close();
rmSync(stateDir, { recursive: true, force: true });
const bytes = b1 - b0;
const secs = (t1 - t0) / 1000;
const cpu = (c1.user + c1.system) / 1e6;
console.log(
  `steppe in-process obfs4 ${dir} iat-mode ${iatMode}: ${(bytes / secs / 1e6).toFixed(1)} MB/s, ` +
    `${(cpu / (bytes / 2 ** 30)).toFixed(2)} CPU s/GiB (client + server in one process), ` +
    `${(bytes / 1427 / secs).toFixed(0)} frames/s`,
);
process.exit(0);

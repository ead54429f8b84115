// Fault injection against transport servers (issue 14): a client that resets (RST) or is killed
// with -9 at each phase of a connection — before and during the handshake, while the server is
// still reaching its target, and mid-data — for every transport, on the standalone server and
// the managed (tor-launched) one. After every fault: the server process is still there, the
// connection's far end (the target) saw it close rather than hang, and a bystander connection
// that ran through the same server the whole time got every byte back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { builtinRegistry } from '../../src/transports/builtins.js';
import { parseShare } from '../../src/cli/share.js';
import { parseSmethodArgs } from '../../src/pt/args.js';
import { startHashEcho, type HashEcho } from '../_support/echo.js';
import { startSteppeServer } from '../cli/support/steppe.js';
import { spawnPt, type PtProcess } from '../managed/support/spawn.js';
import { echoTransfer } from '../_support/transfer.js';
import {
  eventually,
  startBystander,
  startFaultPeer,
  startHangingTarget,
  type HangingTarget,
} from './support/harness.js';
import { FAULT_TRANSPORTS, serverFlags, serverOptions, shareFor } from './support/transports.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'steppe-faults-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** A running server under test: its share string and a way to tell it is still alive. */
interface ServerUnderTest {
  readonly share: string;
  alive(): boolean;
  stderr(): string;
}

async function standaloneServer(transport: string, target: number): Promise<ServerUnderTest> {
  const s = await startSteppeServer([
    '--state',
    await tempDir(),
    '--transport',
    transport,
    '--forward',
    `127.0.0.1:${target}`,
    ...serverFlags(transport),
  ]);
  cleanups.push(() => s.p.stop());
  return {
    share: shareFor(transport, parseShare(s.share).args, { host: '127.0.0.1', port: s.port }),
    alive: () => s.p.proc.exitCode === null && s.p.proc.signalCode === null,
    stderr: () => s.p.stderr(),
  };
}

async function managedServer(transport: string, target: number): Promise<ServerUnderTest> {
  const opts = serverOptions(transport);
  const p: PtProcess = spawnPt('steppe', {
    TOR_PT_MANAGED_TRANSPORT_VER: '1',
    TOR_PT_SERVER_TRANSPORTS: transport,
    TOR_PT_SERVER_BINDADDR: `${transport}-127.0.0.1:0`,
    TOR_PT_ORPORT: `127.0.0.1:${target}`,
    TOR_PT_STATE_LOCATION: await tempDir(),
    ...(opts === '' ? {} : { TOR_PT_SERVER_TRANSPORT_OPTIONS: opts }),
  });
  cleanups.push(() => p.stop());
  const line = await p.waitForLine(new RegExp(`^SMETHOD ${transport} `));
  const m = /^SMETHOD \S+ 127\.0\.0\.1:(\d+)(?: ARGS:(\S*))?/.exec(line);
  assert.ok(m, line);
  const args = parseSmethodArgs(m[2] ?? '');
  const share = shareFor(transport, new Map([...args].map(([k, v]) => [k, v[0] ?? ''])), {
    host: '127.0.0.1',
    port: Number(m[1]),
  });
  return {
    share,
    alive: () => p.proc.exitCode === null && p.proc.signalCode === null,
    stderr: () => p.stderr(),
  };
}

/** A library client connection through the server (the bystander, and the after-check). */
async function dialThrough(share: string): Promise<import('node:stream').Duplex> {
  const info = parseShare(share);
  const factory = builtinRegistry().get(info.transport)!.createClient();
  const raw = connect({ host: info.server.host, port: info.server.port, allowHalfOpen: true });
  await new Promise<void>((r, j) => raw.once('connect', r).once('error', j));
  const args = new Map([...info.args].map(([k, v]) => [k, [v]]));
  return factory.wrap(raw, factory.parseArgs(args));
}

const PHASES_TO_ECHO = ['tcp', 'handshake', 'data'] as const;
const ACTIONS = ['rst', 'kill'] as const;

async function faultRound(
  kind: string,
  start: (transport: string, target: number) => Promise<ServerUnderTest>,
  transport: string,
  echo: HashEcho,
  hanging: HangingTarget,
): Promise<string[]> {
  const toEcho = await start(transport, echo.port);
  const toHanging = await start(transport, hanging.port);
  const notes: string[] = [];
  const bystander = startBystander(await dialThrough(toEcho.share));
  cleanups.push(() => bystander.finish());
  const check = (srv: ServerUnderTest, what: string): void =>
    assert.ok(srv.alive(), `${kind} ${transport} server died after ${what}: ${srv.stderr()}`);

  for (const phase of PHASES_TO_ECHO) {
    for (const action of ACTIONS) {
      const what = `${action} at ${phase}`;
      const closedBefore = echo.received.length;
      const peer = await startFaultPeer(['tunnel', toEcho.share, phase]);
      await (action === 'rst' ? peer.rst() : peer.kill());
      if (phase === 'data') {
        // the far end of the faulted connection is closed, not left hanging
        await eventually(
          `the target saw the ${what} connection close`,
          () => echo.received.length > closedBefore,
        );
      }
      check(toEcho, what);
      notes.push(what);
    }
  }
  for (const action of ACTIONS) {
    const what = `${action} while the server reaches its target`;
    const peer = await startFaultPeer(['tunnel', toHanging.share, 'forward']);
    await eventually(
      'the server is reaching the target',
      async () => (await hanging.pendingConnects()) > 0,
    );
    await (action === 'rst' ? peer.rst() : peer.kill());
    // The server gives up the connect made for a client that reset. A killed client's kernel
    // sends a FIN, which to the server is a half-close: such a client may still wait for the
    // answer, so a server that passes half-closes on (standalone) keeps connecting, bounded by
    // its connect timeout, as obfs4proxy does; one that does not (managed) gives up at once.
    if (action === 'rst' || kind === 'managed') {
      await eventually(
        `the connect for the ${what} client is cancelled`,
        async () => (await hanging.pendingConnects()) === 0,
      );
    }
    check(toHanging, what);
    notes.push(what);
  }

  const b = await bystander.finish();
  assert.ok(
    b.intact,
    `${kind} ${transport}: bystander got ${b.back} of ${b.sent} bytes back intact`,
  );
  // and a new connection after all of it goes through, hash-checked
  const r = await echoTransfer(await dialThrough(toEcho.share), 64 * 1024, 20_000);
  assert.equal(r.receivedSha, r.sentSha);
  check(toEcho, 'all faults');
  check(toHanging, 'all faults');
  notes.push(`bystander ${b.sent} bytes intact`);
  return notes;
}

for (const transport of FAULT_TRANSPORTS) {
  for (const [kind, start] of [
    ['standalone', standaloneServer],
    ['managed', managedServer],
  ] as const) {
    test(
      `${kind} ${transport} server: resets and kill -9 of clients at every phase`,
      { timeout: 180_000 },
      async (t) => {
        const echo = await startHashEcho();
        cleanups.push(() => echo.close());
        const hanging = await startHangingTarget();
        cleanups.push(() => hanging.close());
        const notes = await faultRound(kind, start, transport, echo, hanging);
        t.diagnostic(notes.join('; '));
      },
    );
  }
}

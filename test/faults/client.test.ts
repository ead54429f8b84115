// Fault injection against transport clients (issue 14): the application in front of a steppe
// client (standalone --listen, or tor's SOCKS connection to a managed client) resets or is
// killed with -9 at each phase — connected, mid-SOCKS, while the client reaches the bridge, and
// mid-data — and the bridge itself is killed -9 mid-data. After every fault: the client process
// is still there, the faulted connection's far end saw it close, a bystander connection through
// the same client got every byte back, and an application whose bridge died sees a close.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { parseShare } from '../../src/cli/share.js';
import { encodeClientArgs } from '../../src/pt/args.js';
import type { HostPort } from '../../src/net/address.js';
import { startHashEcho } from '../_support/echo.js';
import { socks5Connect } from '../_support/socks-client.js';
import { startSteppeClient, startSteppeServer } from '../cli/support/steppe.js';
import { methodPort, spawnPt } from '../managed/support/spawn.js';
import {
  dialLocal,
  eventually,
  startBystander,
  startFaultPeer,
  startHangingTarget,
} from './support/harness.js';
import { FAULT_TRANSPORTS, serverFlags, shareFor } from './support/transports.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'steppe-faults-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** A client under test: how an application opens a connection to `bridge` through it. */
interface ClientUnderTest {
  /** fault-peer `app` arguments: the port, then (SOCKS) the args and target for `bridge`. */
  peerArgs(bridge: HostPort): Promise<[string, ...string[]]>;
  /** An application connection through the client to `bridge`, ready for data. */
  open(bridge: HostPort): Promise<Socket>;
  /** The phases an application can be in with this client. */
  readonly phases: readonly string[];
  alive(): boolean;
  stderr(): string;
}

type ClientStarter = (transport: string, share: string) => Promise<ClientUnderTest>;

/** `steppe client --listen`: one fixed bridge per client process, so one process per bridge. */
/** The bridges here are on 127.0.0.1, which the webtunnel client refuses without the opt-in. */
const LOOPBACK_BRIDGE_ENV = { STEPPE_WEBTUNNEL_ALLOW_PRIVATE: '1' };

const standaloneClient: ClientStarter = async (transport, share) => {
  const info = parseShare(share);
  const byBridge = new Map<
    string,
    { port: number; p: { proc: import('node:child_process').ChildProcess; stderr(): string } }
  >();
  const forBridge = async (bridge: HostPort): Promise<number> => {
    const key = `${bridge.host}:${bridge.port}`;
    let c = byBridge.get(key);
    if (c === undefined) {
      const s = shareFor(transport, info.args, bridge);
      const started = await startSteppeClient(
        [
          '--connect',
          s,
          '--listen',
          '127.0.0.1:0',
          // a bridge that never answers cannot pass the startup check
          ...(key === `${info.server.host}:${info.server.port}` ? [] : ['--no-check']),
        ],
        LOOPBACK_BRIDGE_ENV,
      );
      cleanups.push(() => started.p.stop());
      c = { port: started.port, p: started.p };
      byBridge.set(key, c);
    }
    return c.port;
  };
  await forBridge(info.server);
  return {
    peerArgs: async (bridge) => [String(await forBridge(bridge))],
    open: async (bridge) => dialLocal(await forBridge(bridge)),
    phases: ['tcp', 'data'],
    alive: () =>
      [...byBridge.values()].every(
        (c) => c.p.proc.exitCode === null && c.p.proc.signalCode === null,
      ),
    stderr: () => [...byBridge.values()].map((c) => c.p.stderr()).join('\n'),
  };
};

/** A managed client as tor runs it: SOCKS5 with the bridge line's args in the username. */
const managedClient: ClientStarter = async (transport, share) => {
  const info = parseShare(share);
  const p = spawnPt('steppe', {
    TOR_PT_MANAGED_TRANSPORT_VER: '1',
    TOR_PT_CLIENT_TRANSPORTS: transport,
    TOR_PT_STATE_LOCATION: await tempDir(),
    ...LOOPBACK_BRIDGE_ENV,
  });
  cleanups.push(() => p.stop());
  const port = methodPort(await p.waitForLine(new RegExp(`^CMETHOD ${transport} `)));
  const argsFor = (bridge: HostPort): string =>
    encodeClientArgs(
      new Map(
        [...parseShare(shareFor(transport, info.args, bridge)).args].map(([k, v]) => [k, [v]]),
      ),
    );
  return {
    peerArgs: (bridge) =>
      Promise.resolve([String(port), argsFor(bridge), `${bridge.host}:${bridge.port}`]),
    open: (bridge) => socks5Connect(port, bridge, argsFor(bridge)),
    phases: ['tcp', 'socks', 'data'],
    alive: () => p.proc.exitCode === null && p.proc.signalCode === null,
    stderr: () => p.stderr(),
  };
};

const ACTIONS = ['rst', 'kill'] as const;

for (const transport of FAULT_TRANSPORTS) {
  for (const [kind, start] of [
    ['standalone', standaloneClient],
    ['managed', managedClient],
  ] as const) {
    test(
      `${kind} ${transport} client: application resets and kill -9 at every phase, and a bridge killed mid-data`,
      { timeout: 180_000 },
      async (t) => {
        const echo = await startHashEcho();
        cleanups.push(() => echo.close());
        const hanging = await startHangingTarget();
        cleanups.push(() => hanging.close());
        const server = await startSteppeServer([
          '--state',
          await tempDir(),
          '--transport',
          transport,
          '--forward',
          `127.0.0.1:${echo.port}`,
          ...serverFlags(transport),
        ]);
        cleanups.push(() => server.p.stop());
        const bridge = { host: '127.0.0.1', port: server.port };
        const share = shareFor(transport, parseShare(server.share).args, bridge);
        const client = await start(transport, share);
        const dead = { host: '127.0.0.1', port: hanging.port };
        const notes: string[] = [];
        const bystander = startBystander(await client.open(bridge));
        cleanups.push(() => bystander.finish());
        const check = (what: string): void =>
          assert.ok(
            client.alive(),
            `${kind} ${transport} client died after ${what}: ${client.stderr()}`,
          );

        for (const phase of client.phases) {
          for (const action of ACTIONS) {
            const what = `${action} at ${phase}`;
            const closedBefore = echo.received.length;
            const [port, ...rest] = await client.peerArgs(bridge);
            const peer = await startFaultPeer(['app', port, phase, ...rest]);
            await (action === 'rst' ? peer.rst() : peer.kill());
            if (phase === 'data') {
              await eventually(
                `the target saw the ${what} connection close`,
                () => echo.received.length > closedBefore,
              );
            }
            check(what);
            notes.push(what);
          }
        }
        // While the client is reaching a bridge that never answers (the dial in progress).
        for (const action of ACTIONS) {
          const what = `${action} while the client reaches the bridge`;
          const [port, ...rest] = await client.peerArgs(dead);
          const phase = kind === 'managed' ? 'dial' : 'tcp';
          const peer = await startFaultPeer(['app', port, phase, ...rest]);
          await eventually(
            'the client is reaching the bridge',
            async () => (await hanging.pendingConnects()) > 0,
          );
          await (action === 'rst' ? peer.rst() : peer.kill());
          // A reset cancels the dial at once; a killed application's FIN is a half-close, after
          // which a client may still be asked for the answer, so its dial runs to its timeout.
          if (action === 'rst') {
            await eventually(
              `the dial for the ${what} application is cancelled`,
              async () => (await hanging.pendingConnects()) === 0,
            );
          }
          check(what);
          notes.push(what);
        }
        const b = await bystander.finish();
        assert.ok(b.intact, `bystander got ${b.back} of ${b.sent} bytes back intact`);
        notes.push(`bystander ${b.sent} bytes intact`);

        // The bridge dies mid-data: the application sees its connection close, not hang.
        const app = await client.open(bridge);
        app.on('error', () => {});
        let closed = false;
        app.once('close', () => (closed = true));
        const feeder = setInterval(() => app.write(Buffer.alloc(4096)), 10);
        await new Promise((r) => setTimeout(r, 200));
        server.p.proc.kill('SIGKILL');
        await eventually(
          'the application saw its connection close after the bridge died',
          () => closed,
          10_000,
        );
        clearInterval(feeder);
        check('the bridge was killed');
        notes.push('bridge kill -9 mid-data: application saw a close');
        t.diagnostic(notes.join('; '));
      },
    );
  }
}

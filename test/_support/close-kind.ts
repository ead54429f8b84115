/**
 * How a server ends a connection, seen on the wire rather than through the socket API. A Node
 * client that has not yet read bytes the server sent reports a RST as a plain end of stream,
 * so for servers that answer probes (obfs2, obfs3) 'end' versus ECONNRESET depends on timing.
 * The client's kernel state does not: a FIN leaves the client socket in CLOSE_WAIT (or TIME_WAIT
 * when the client had half-closed first), a RST removes it from /proc/net/tcp at once.
 */
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';

export type CloseKind = 'fin' | 'rst' | 'open';

export interface CloseProbe {
  readonly kind: CloseKind;
  /** Milliseconds from the probe's write to the close (absent when still open). */
  readonly ms?: number;
  /** Bytes the server sent before closing. */
  readonly bytes: number;
}

const hexPort = (p: number): string => p.toString(16).toUpperCase().padStart(4, '0');

/**
 * One reading of /proc/net/tcp serves every probe waiting at that moment: the table can be
 * large on a busy machine, and a read per probe per tick would starve the event loop.
 */
let snapshot: { at: number; states: Map<string, string> } | null = null;

function tcpStates(fresh: boolean): Map<string, string> {
  const now = performance.now();
  if (!fresh && snapshot !== null && now - snapshot.at < 15) return snapshot.states;
  const states = new Map<string, string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.startsWith('0100007F:') && f[3] !== undefined) states.set(`${f[1]} ${f[2]}`, f[3]);
  }
  snapshot = { at: now, states };
  return states;
}

/**
 * /proc/net/tcp state of 127.0.0.1:local → 127.0.0.1:remote, or null when there is none. A
 * shared snapshot may predate the socket, or its last change, so "none" is confirmed by a
 * fresh read.
 */
function tcpState(local: number, remote: number): string | null {
  const key = `0100007F:${hexPort(local)} 0100007F:${hexPort(remote)}`;
  return tcpStates(false).get(key) ?? tcpStates(true).get(key) ?? null;
}

const ESTABLISHED_OR_CLOSING = new Set(['01', '04', '05']); // ESTABLISHED, FIN_WAIT1, FIN_WAIT2
// CLOSE_WAIT, TIME_WAIT, CLOSING, LAST_ACK. LAST_ACK: the server's FIN came before the
// probe's own (a server that closes the moment it has read the probe), and ours is unacked.
const AFTER_FIN = new Set(['08', '06', '0B', '09']);

/**
 * Connects to 127.0.0.1:`port`, writes `payload` (then half-closes when `fin`), reads nothing
 * until the server's socket is gone or `budgetMs` passed, then reads what was sent. Polls the
 * kernel's table every 20 ms (bounded by the budget).
 */
export async function probeClose(
  port: number,
  payload: Uint8Array,
  opts: { fin?: boolean; budgetMs: number },
): Promise<CloseProbe> {
  const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  s.pause();
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  s.on('error', () => {});
  const local = s.localPort!;
  await new Promise<void>((r) => (payload.length > 0 ? s.write(payload, () => r()) : r()));
  const t0 = performance.now();
  let kind: CloseKind = 'open';
  if (opts.fin === true) {
    // A server that closes the moment it has read the probe can FIN before our end() is sent;
    // our FIN then takes the socket through LAST_ACK out of the table within a millisecond,
    // which must not read as a reset. Look once before half-closing.
    if (AFTER_FIN.has(tcpState(local, port) ?? '')) kind = 'fin';
    s.end();
  }
  while (kind === 'open') {
    const st = tcpState(local, port);
    if (st === null) kind = 'rst';
    else if (AFTER_FIN.has(st)) kind = 'fin';
    else if (!ESTABLISHED_OR_CLOSING.has(st)) kind = 'rst';
    if (kind !== 'open' || performance.now() - t0 > opts.budgetMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = Math.round(performance.now() - t0);
  let bytes = 0;
  s.on('data', (d: Buffer) => (bytes += d.length));
  s.resume();
  // What the server sent is in the kernel's buffer already; let it drain (bounded at 1 s).
  for (let quiet = 0, i = 0; quiet < 3 && i < 50; i++) {
    const before = bytes;
    await new Promise((r) => setTimeout(r, 20));
    quiet = bytes === before ? quiet + 1 : 0;
  }
  s.destroy();
  return kind === 'open' ? { kind, bytes } : { kind, ms, bytes };
}

import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { randomInt } from 'node:crypto';
import { isObfs2Handshake, TOR_VERSIONS_CELL } from './payloads.js';
import type { ProbeOutcome, ProbeResult, ProbeSpec, ProbeTarget } from './types.js';

export interface ProbeRunOptions {
  /** How long each probe waits for the server to close (T_max), ms. */
  readonly budgetMs: number;
  /** How many probes run at once (each on its own connection). */
  readonly concurrency?: number;
  readonly connectTimeoutMs?: number;
  /** SNI for the cover check (T1 cover / webtunnel-like servers). */
  readonly sni?: string;
  /** The bridge-line-aware prober's handshake (O4k). */
  readonly authenticatedProbe?: (target: ProbeTarget, signal: AbortSignal) => Promise<boolean>;
  readonly signal?: AbortSignal;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function randomTorSni(): string {
  let s = '';
  for (let i = randomInt(4, 26); i > 0; i--) s += BASE32[randomInt(32)];
  return `www.${s}.com`;
}

/**
 * One raw probe: a fresh TCP connection, the payload written at once, then everything the server
 * does is recorded until it closes or the budget runs out. Close type comes from the socket: 'end'
 * is a FIN, ECONNRESET a RST.
 */
export function rawProbe(
  target: ProbeTarget,
  spec: ProbeSpec,
  opts: ProbeRunOptions,
): Promise<ProbeResult> {
  const payload = spec.payload ?? new Uint8Array(0);
  return new Promise((resolve) => {
    const t0 = performance.now();
    let tConnect: number | undefined;
    let tWrite: number | undefined;
    let first: number | undefined;
    let received = 0;
    const head: Buffer[] = [];
    let headLen = 0;
    let settled = false;
    const s: Socket = connect({ host: target.host, port: target.port });
    s.setNoDelay(true);
    const connectTimer = setTimeout(
      () => finish('error', 'connect timeout'),
      opts.connectTimeoutMs ?? 10_000,
    );
    let budgetTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => finish('open', 'aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    function finish(outcome: ProbeOutcome, detail?: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(budgetTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      const now = performance.now();
      const closed = outcome === 'fin' || outcome === 'rst';
      s.destroy();
      resolve({
        id: spec.id,
        group: spec.group,
        sent: payload.length,
        outcome,
        bytesReceived: received,
        ...(first === undefined ? {} : { firstByteMs: Math.round(first) }),
        responseHead: Buffer.concat(head).subarray(0, 64).toString('hex'),
        ...(closed && tConnect !== undefined ? { closeMs: Math.round(now - tConnect) } : {}),
        ...(closed && tWrite !== undefined ? { closeAfterWriteMs: Math.round(now - tWrite) } : {}),
        ...(detail === undefined ? {} : { detail }),
      });
    }
    s.once('connect', () => {
      clearTimeout(connectTimer);
      tConnect = performance.now();
      budgetTimer = setTimeout(() => finish('open'), opts.budgetMs);
      const written = (): void => {
        tWrite = performance.now();
        if (spec.then === 'fin') s.end();
        else if (spec.then === 'rst') {
          s.resetAndDestroy();
          finish('rst', 'reset by the probe');
        }
      };
      if (payload.length === 0) written();
      else s.write(payload, written);
    });
    s.on('data', (d: Buffer) => {
      if (first === undefined) first = performance.now() - (tConnect ?? t0);
      received += d.length;
      if (headLen < 64) {
        head.push(d);
        headLen += d.length;
      }
    });
    s.once('end', () => finish('fin'));
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') finish('rst');
      else if (e.code === 'ECONNREFUSED') finish('refused');
      else finish('error', e.message);
    });
    s.once('close', () => finish('fin'));
  });
}

/** T2 and the cover check: a TLS session, then a Tor VERSIONS cell or an HTTP GET. */
function tlsProbe(
  target: ProbeTarget,
  spec: ProbeSpec,
  opts: ProbeRunOptions,
): Promise<ProbeResult> {
  const tor = spec.kind === 'tor';
  return new Promise((resolve) => {
    const raw = connect({ host: target.host, port: target.port });
    let received = 0;
    const head: Buffer[] = [];
    raw.on('data', (d: Buffer) => {
      received += d.length;
      head.push(d);
    });
    const t0 = performance.now();
    const sni = tor ? randomTorSni() : (opts.sni ?? 'www.example.com');
    const tls = tlsConnect({ socket: raw, servername: sni, rejectUnauthorized: false });
    let plain = Buffer.alloc(0);
    let settled = false;
    const timer = setTimeout(() => finish('open'), opts.budgetMs);
    const finish = (outcome: ProbeOutcome, confirmed = false, detail?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tls.destroy();
      raw.destroy();
      resolve({
        id: spec.id,
        group: spec.group,
        sent: 0,
        outcome,
        bytesReceived: received,
        responseHead: Buffer.concat(head).subarray(0, 64).toString('hex'),
        ...(outcome === 'fin' || outcome === 'rst'
          ? { closeMs: Math.round(performance.now() - t0) }
          : {}),
        confirmed,
        detail: detail ?? `sni ${sni}`,
      });
    };
    tls.once('secureConnect', () => {
      tls.write(
        tor ? TOR_VERSIONS_CELL : `GET / HTTP/1.1\r\nHost: ${sni}\r\nConnection: close\r\n\r\n`,
      );
    });
    tls.on('data', (d: Buffer) => {
      plain = Buffer.concat([plain, d]);
      if (tor && plain.length >= 5 && plain[2] === 7)
        finish('open', true, `VERSIONS cell from the server (sni ${sni})`);
      if (!tor && /^HTTP\/1\.[01] \d{3}/.test(plain.subarray(0, 16).toString('latin1'))) {
        finish(
          'open',
          true,
          `cover answered ${plain.subarray(0, 15).toString('latin1')} (sni ${sni})`,
        );
      }
    });
    tls.once('end', () => finish('fin'));
    tls.once('error', (e: NodeJS.ErrnoException) =>
      finish(
        e.code === 'ECONNRESET' ? 'rst' : e.code === 'ECONNREFUSED' ? 'refused' : 'fin',
        false,
        e.message,
      ),
    );
  });
}

async function authProbe(
  target: ProbeTarget,
  spec: ProbeSpec,
  opts: ProbeRunOptions,
): Promise<ProbeResult> {
  const t0 = performance.now();
  let ok = false;
  let detail = 'no bridge line given';
  if (opts.authenticatedProbe) {
    const signal = AbortSignal.timeout(opts.budgetMs);
    ok = await opts.authenticatedProbe(target, signal).catch(() => false);
    detail = ok
      ? 'handshake with the bridge line succeeded'
      : 'handshake with the bridge line failed';
  }
  return {
    id: spec.id,
    group: spec.group,
    sent: 0,
    outcome: 'open',
    bytesReceived: 0,
    responseHead: '',
    confirmed: ok,
    detail: `${detail} (${Math.round(performance.now() - t0)} ms)`,
  };
}

/** Runs one probe of any kind and adds protocol confirmations (O2/O3) to raw results. */
export async function runProbe(
  target: ProbeTarget,
  spec: ProbeSpec,
  opts: ProbeRunOptions,
): Promise<ProbeResult> {
  if (spec.kind === 'tor' || spec.kind === 'cover') return tlsProbe(target, spec, opts);
  if (spec.kind === 'auth') return authProbe(target, spec, opts);
  const r = await rawProbe(target, spec, opts);
  if (spec.group === 'O2') {
    const head = Buffer.from(r.responseHead, 'hex');
    return { ...r, confirmed: isObfs2Handshake(head, 'Responder') };
  }
  if (spec.group === 'O3') return { ...r, confirmed: r.bytesReceived >= 192 };
  return r;
}

/** Runs probes with bounded concurrency, each on its own connection; results in input order. */
export async function runProbes(
  target: ProbeTarget,
  specs: readonly ProbeSpec[],
  opts: ProbeRunOptions,
): Promise<ProbeResult[]> {
  const out: ProbeResult[] = new Array<ProbeResult>(specs.length);
  let next = 0;
  const workers = Array.from(
    { length: Math.max(1, Math.min(opts.concurrency ?? 64, specs.length)) },
    async () => {
      for (;;) {
        const i = next++;
        if (i >= specs.length) return;
        out[i] = await runProbe(target, specs[i]!, opts);
      }
    },
  );
  await Promise.all(workers);
  return out;
}

import { systemClock } from './clock.js';
import { COLUMNS, type CensorColumn, type ColumnEnv } from './columns.js';
import { expectedCode, satisfies, type ExpectedCode } from './expected.js';
import { Middlebox } from './middlebox.js';
import { createNationalCa, type NationalCa } from './mitm/national-ca.js';
import type { ActiveProberModel } from './models/active-prober.js';
import { binomialInterval, classifyAttempts, type CellCode } from './outcome.js';
import { Pipeline } from './pipeline.js';
import { fixedSource, ROWS } from './traffic/index.js';
import type { AttemptResult, Endpoint, RunningTraffic, TrafficKind } from './traffic/types.js';
import type { CensorModel } from './types.js';
import type { VerdictRecord } from './verdict-log.js';
import { Blocklist } from './tables.js';

export interface MatrixOptions {
  readonly rows?: readonly TrafficKind[];
  readonly columns?: readonly CensorColumn[];
  /** Seed of every flow's PRNG (probabilistic rules). */
  readonly seed?: number | string;
  /** Multiplier for model durations (180 s residual, 120 s probe budget, 12 h TTL). */
  readonly timeScale?: number;
  /** Sessions per deterministic cell (8; the gfw-report rule needs 5 consecutive failures). */
  readonly attempts?: number;
  /** Flows per probabilistic cell. */
  readonly flows?: number;
  /** A session that has not completed after this long is a failure (stall), ms. */
  readonly timeoutMs?: number;
  /** Bytes echoed per session (above volume-freeze's 16 KiB). */
  readonly bytes?: number;
  /** Flows in flight at once in probabilistic cells. */
  readonly concurrency?: number;
  /** Key size of the national root (4096 as in 2019). */
  readonly nationalRootBits?: number;
  /** Rows measured at once (each row's cells run one after another). */
  readonly parallel?: number;
  /** Cells of one row measured at once (each has its own middlebox and censor state). */
  readonly columnParallel?: number;
  /**
   * Probabilistic cells in the whole run (default 1). Each cell's binomial interval is widened to
   * 1 − 1%/k (Bonferroni), so that the run as a whole, not each cell, calls a fair censor's rate
   * a mismatch at most 1% of the time: with a dozen such cells at 99% each, one of them falls
   * outside its interval in about one run in nine by chance alone.
   */
  readonly rateCells?: number;
  /** Called after each cell, for progress output. */
  readonly onCell?: (cell: CellResult, row: TrafficKind, column: CensorColumn) => void;
  /** Called when a row's traffic has started (its bridge line or certificate names). */
  readonly onTraffic?: (row: TrafficKind, traffic: RunningTraffic) => void;
  /** Called when a row cannot run here. */
  readonly onSkip?: (row: TrafficKind, why: string) => void;
}

export interface RateResult {
  readonly blocked: number;
  readonly n: number;
  readonly p: number;
  /** The binomial interval of blocked counts for p, at `confidence`. */
  readonly interval: readonly [number, number];
  /** The interval's confidence level (0.99, or wider when the run has several such cells). */
  readonly confidence: number;
  /** Flows the censor's own log says it blocked (must equal `blocked`, measured at the client). */
  readonly censorBlocked: number;
  readonly residual?: {
    readonly checked: boolean;
    readonly blocked: boolean;
    readonly detail: string;
  };
}

export interface CellResult {
  readonly row: string;
  readonly column: string;
  readonly code: CellCode;
  /** Short text for the table, e.g. "B", "p26 25.5%", "D". */
  readonly label: string;
  readonly expected?: ExpectedCode;
  /** Measured satisfies expected (undefined when §6.4 gives no definite code). */
  readonly matches?: boolean;
  readonly attempts: {
    readonly ok: number;
    readonly failed: number;
    readonly failures: readonly string[];
  };
  readonly rate?: RateResult;
  readonly prober?: { readonly code: string; readonly reasons: readonly string[] };
  /** Why the cell got its code, in words. */
  readonly why: string;
  /**
   * A peer of the row (a PT process) that went down during an earlier measurement of this cell:
   * "peer crashed: <its panic or last stderr line>". The cell was measured again after a restart;
   * its code is that of the measurement no crash touched.
   */
  readonly peerCrashes?: readonly string[];
  /**
   * Whether the censor blocked or intercepted anything in this measurement (its verdict log).
   * Sessions that failed while it did nothing failed on their own (an overloaded machine).
   */
  readonly censorActed?: boolean;
  /**
   * Earlier measurements of this cell that were set aside because sessions failed while the
   * censor took no action: a timeout on a busy machine is not a censor's block.
   */
  readonly unexplained?: readonly string[];
  /** A sample of the verdict log (each distinct model/rule/verdict, a few times). */
  readonly evidence: readonly VerdictRecord[];
  readonly durationMs: number;
}

export interface MatrixReport {
  readonly generatedAt: string;
  readonly seed: number | string;
  readonly timeScale: number;
  readonly settings: { attempts: number; flows: number; timeoutMs: number; bytes: number };
  readonly rows: ReadonlyArray<{
    id: string;
    label: string;
    group: string;
    description?: string;
    skipped?: string;
  }>;
  readonly columns: ReadonlyArray<{ id: string; label: string; kind: string; source: string }>;
  readonly cells: readonly CellResult[];
  readonly durationMs: number;
}

const FET_P = 0.263;

/** Keeps the verdict log of a cell readable: each distinct (model, rule, verdict) a few times. */
export function sampleEvidence(
  records: readonly VerdictRecord[],
  perKind = 3,
  max = 40,
): VerdictRecord[] {
  const seen = new Map<string, number>();
  const out: VerdictRecord[] = [];
  for (const r of records) {
    const k = `${r.model}|${r.rule}|${r.verdict}`;
    const n = seen.get(k) ?? 0;
    if (n >= perKind) continue;
    seen.set(k, n + 1);
    out.push(r);
    if (out.length >= max) break;
  }
  return out;
}

function failures(results: readonly AttemptResult[]): string[] {
  return [
    ...new Set(results.filter((r) => !r.ok).map((r) => `${r.stage}: ${r.error ?? 'failed'}`)),
  ].slice(0, 3);
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  f: (t: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await f(items[i]!, i);
      }
    }),
  );
  return out;
}

/** The i-th simulated client address (127.a.b.c, never .0). */
export function clientAddress(block: number, i: number): string {
  return `127.${block}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
}

interface CellContext {
  readonly row: TrafficKind;
  readonly column: CensorColumn;
  readonly traffic: RunningTraffic;
  readonly env: ColumnEnv;
  readonly seed: number | string;
  readonly timeScale: number;
  readonly attempts: number;
  readonly flows: number;
  readonly timeoutMs: number;
  readonly bytes: number;
  readonly concurrency: number;
  /** Confidence of a probabilistic cell's binomial interval. */
  readonly confidence: number;
}

async function withMiddlebox<T>(
  c: CellContext,
  models: CensorModel[],
  body: (mb: Middlebox, pipeline: Pipeline) => Promise<T>,
  clientLabel?: (addr: string, port: number) => string,
): Promise<T> {
  const pipeline = new Pipeline(models, {
    seed: `${c.seed}:${c.row.id}:${c.column.id}`,
    clock: systemClock(c.timeScale),
  });
  const mb = await Middlebox.listen({
    target: c.traffic.target,
    pipeline,
    maxFlowMs: Math.max(30_000, c.timeoutMs * 4),
    ...(clientLabel ? { clientLabel } : {}),
  });
  try {
    return await body(mb, pipeline);
  } finally {
    await mb.close();
  }
}

async function deterministicCell(
  c: CellContext,
): Promise<Omit<CellResult, 'row' | 'column' | 'expected' | 'matches' | 'durationMs'>> {
  const models = await c.column.build(c.env);
  return withMiddlebox(c, models, async (mb, pipeline) => {
    const from = clientAddress(2, 0);
    let probed: ActiveProberModel | undefined;
    if (c.column.kind === 'prober') {
      probed = models.find((m) => m.name === 'active-prober') as ActiveProberModel | undefined;
      // The session that makes the prober notice the endpoint, then the prober's verdict.
      await c.traffic.attempt(mb.address, {
        localAddress: from,
        timeoutMs: c.timeoutMs,
        bytes: c.bytes,
      });
      await probed?.idle();
    }
    const results = await Promise.all(
      Array.from({ length: c.attempts }, () =>
        c.traffic.attempt(mb.address, {
          localAddress: from,
          timeoutMs: c.timeoutMs,
          bytes: c.bytes,
        }),
      ),
    );
    let code: CellCode = classifyAttempts(results);
    const ok = results.filter((r) => r.ok).length;
    const log = pipeline.log.records();
    let why =
      code === 'P'
        ? `all ${results.length} sessions completed`
        : ok === 0
          ? `all ${results.length} sessions failed`
          : `${results.length - ok} of ${results.length} sessions failed${code === 'B' ? ' (five or more in a row)' : ''}`;
    let prober: CellResult['prober'];
    if (probed) {
      const v = probed.verdicts.get(
        Blocklist.endpointKey(c.traffic.target.host, c.traffic.target.port),
      );
      if (v) prober = { code: v.code, reasons: v.reasons };
      const listed = pipeline.ctx.blocklist.get(
        Blocklist.endpointKey(c.traffic.target.host, c.traffic.target.port),
      );
      if (listed && code === 'B') {
        code = 'D';
        why = `probing confirmed the endpoint (${listed.reason}); then ${results.length - ok} of ${results.length} sessions failed`;
      } else if (code === 'P' && v?.code === 'S') {
        code = 'S';
        why = `sessions pass; score-only fingerprint: ${v.reasons.join('; ')}`;
      } else if (v) {
        why += `; prober: ${v.code}${v.reasons.length ? ` (${v.reasons[0]})` : ''}`;
      }
    }
    if (c.column.id === 'mitm-national-ca' && code === 'P') {
      const leak = log.find(
        (r) => r.model === 'mitm-national-ca' && r.rule === 'plaintext' && r.direction === 'c2s',
      );
      if (leak) {
        code = 'I';
        why = `sessions completed through the interception; the censor read ${JSON.stringify(leak.evidence.requestLine ?? leak.evidence.hex)}`;
      }
    }
    const blockers = [
      ...new Set(log.filter((r) => r.verdict === 'block').map((r) => `${r.model}:${r.rule}`)),
    ];
    if (blockers.length && code !== 'P') why += ` (${blockers.join(', ')})`;
    return {
      code,
      label: code,
      censorActed: censorActed(log),
      attempts: { ok, failed: results.length - ok, failures: failures(results) },
      ...(prober ? { prober } : {}),
      why,
      evidence: sampleEvidence(log),
    };
  });
}

async function probabilisticCell(
  c: CellContext,
): Promise<Omit<CellResult, 'row' | 'column' | 'expected' | 'matches' | 'durationMs'>> {
  const fixed = fixedSource(c.row);
  const models = await c.column.build(c.env);
  // Clients that cannot pick their source address are told apart by source port instead.
  const label = fixed ? (addr: string, port: number) => `${addr}#${port}` : undefined;
  return withMiddlebox(
    c,
    models,
    async (mb, pipeline) => {
      const small = Math.min(c.bytes, 1024);
      const results = await mapLimit(Array.from({ length: c.flows }), c.concurrency, (_, i) =>
        c.traffic.attempt(mb.address, {
          ...(fixed ? {} : { localAddress: clientAddress(10, i) }),
          timeoutMs: c.timeoutMs,
          bytes: small,
        }),
      );
      const blocked = results.filter((r) => !r.ok).length;
      const n = results.length;
      const interval = binomialInterval(n, FET_P, c.confidence);
      const level = `${+(100 * c.confidence).toFixed(3)}%`;
      const censorBlocked = new Set(
        pipeline.log
          .records()
          .filter((r) => r.verdict === 'block')
          .map((r) => r.flowId),
      ).size;
      let residual: RateResult['residual'];
      if (fixed) {
        residual = {
          checked: false,
          blocked: false,
          detail: 'the client picks its own source address; residual not checked',
        };
      } else if (censorBlocked > 0) {
        residual = await residualCheck(c, mb, pipeline, small);
      }
      let code: CellCode;
      if (blocked === 0) code = 'P';
      else if (blocked === n) code = 'B';
      else if (
        censorBlocked > 0 &&
        blocked >= interval[0] &&
        blocked <= interval[1] &&
        (residual === undefined || !residual.checked || residual.blocked)
      ) {
        code = 'p26';
      } else code = '~';
      const pct = ((100 * blocked) / n).toFixed(1);
      const log = pipeline.log.records();
      const why =
        code === 'P'
          ? `${n} flows, none blocked`
          : `${blocked} of ${n} flows blocked (${pct}%; ${level} interval for p = ${FET_P}: ${interval[0]}–${interval[1]})` +
            (censorBlocked !== blocked
              ? `; the censor's log shows ${censorBlocked} blocked, the rest failed on their own`
              : '') +
            (residual ? `; residual: ${residual.detail}` : '');
      return {
        code,
        label: code === 'P' ? 'P' : `${code} ${pct}%`,
        censorActed: censorActed(log),
        attempts: { ok: n - blocked, failed: blocked, failures: failures(results) },
        rate: {
          blocked,
          n,
          p: FET_P,
          interval,
          confidence: c.confidence,
          censorBlocked,
          ...(residual ? { residual } : {}),
        },
        why,
        evidence: sampleEvidence(log),
      };
    },
    label,
  );
}

/**
 * The residual check: new flows from fresh addresses until one is blocked, then at once a second
 * flow from the same address, which must be dropped at the start (rule "residual") whatever it
 * sends, inside the scaled 180 s.
 */
async function residualCheck(
  c: CellContext,
  mb: Middlebox,
  pipeline: Pipeline,
  bytes: number,
): Promise<NonNullable<RateResult['residual']>> {
  for (let i = 0; i < 60; i++) {
    const addr = clientAddress(11, i);
    const first = c.traffic.attempt(mb.address, {
      localAddress: addr,
      timeoutMs: c.timeoutMs,
      bytes,
    });
    const isBlocked = (): boolean =>
      pipeline.log
        .records()
        .some(
          (r) =>
            r.verdict === 'block' && r.rule === 'fullyEncrypted' && r.flow.startsWith(`${addr}:`),
        );
    let done = false;
    void first.then(() => (done = true));
    while (!done && !isBlocked()) await new Promise((r) => setTimeout(r, 5));
    if (!isBlocked()) continue;
    const second = await c.traffic.attempt(mb.address, {
      localAddress: addr,
      timeoutMs: c.timeoutMs,
      bytes,
    });
    await first;
    const rec = pipeline.log
      .records()
      .find((r) => r.rule === 'residual' && r.flow.startsWith(`${addr}:`));
    const window = 180_000 * c.timeScale;
    return {
      checked: true,
      blocked: !second.ok && rec !== undefined,
      detail:
        !second.ok && rec
          ? `a second flow from ${addr}, opened as soon as the first was blocked, was dropped at the start (window ${Math.round(window)} ms scaled)`
          : `the second flow from ${addr} was not dropped by the residual rule`,
    };
  }
  return { checked: false, blocked: false, detail: 'no blocked flow in 60 tries' };
}

/** The censor blocked or intercepted something: failures may be its doing. */
function censorActed(log: readonly VerdictRecord[]): boolean {
  return log.some((r) => r.verdict === 'block' || r.action === 'intercept');
}

/** Runs one cell: a fresh censor (fresh state) between the row's client and server. */
export async function runCell(c: CellContext): Promise<CellResult> {
  const t0 = performance.now();
  const expected = expectedCode(c.row.id, c.column.id);
  let r: Omit<CellResult, 'row' | 'column' | 'expected' | 'matches' | 'durationMs'>;
  try {
    r = c.column.kind === 'probabilistic' ? await probabilisticCell(c) : await deterministicCell(c);
  } catch (e) {
    r = {
      code: 'error',
      label: 'error',
      attempts: { ok: 0, failed: 0, failures: [String(e)] },
      why: `the cell could not run: ${e instanceof Error ? e.message : String(e)}`,
      evidence: [],
    };
  }
  const matches = satisfies(r.code, expected);
  return {
    row: c.row.id,
    column: c.column.id,
    ...r,
    ...(expected === undefined ? {} : { expected }),
    ...(matches === undefined ? {} : { matches }),
    durationMs: Math.round(performance.now() - t0),
  };
}

/** Starts a row's traffic, runs it against each column, stops it. */
export async function runRow(
  row: TrafficKind,
  columns: readonly CensorColumn[],
  o: MatrixOptions & { nationalCa: () => Promise<NationalCa> },
): Promise<CellResult[]> {
  const ca = o.nationalCa;
  const traffic = await row.start({ nationalRootPem: (await ca()).root.certPem });
  o.onTraffic?.(row, traffic);
  let cells: CellResult[];
  try {
    cells = await mapLimit(columns, o.columnParallel ?? 1, async (column) => {
      const cell = await measureCell(traffic, (t) =>
        runCell({
          row,
          column,
          traffic: t,
          env: { target: t.target, traffic: t, nationalCa: ca },
          seed: o.seed ?? 1,
          timeScale: o.timeScale ?? 0.01,
          attempts: o.attempts ?? 8,
          flows: Math.min(o.flows ?? 200, row.maxFlows ?? Infinity),
          timeoutMs: Math.max(o.timeoutMs ?? 2500, row.minTimeoutMs ?? 0),
          bytes: o.bytes ?? 32 * 1024,
          concurrency: o.concurrency ?? 16,
          confidence: 1 - 0.01 / Math.max(1, o.rateCells ?? 1),
        }),
      );
      o.onCell?.(cell, row, column);
      return cell;
    });
  } finally {
    await traffic.close();
  }
  return cells;
}

/**
 * Measurements of one cell: before it is given up as "error" when a peer crashes every time, and
 * before sessions that fail while the censor takes no action are reported as they are.
 */
export const MAX_MEASUREMENTS = 3;

/**
 * Runs a cell; when a peer of the row went down meanwhile (traffic.peers), the peer is restarted
 * and the cell measured again: a dead bridge is not a censor's block. The crashes are reported in
 * the cell. A cell whose every measurement met a crash is an "error", never a block.
 */
export async function measureCell(
  traffic: RunningTraffic,
  run: (t: RunningTraffic) => Promise<CellResult>,
): Promise<CellResult> {
  const crashes: string[] = [];
  const withCrashes = (cell: CellResult, why: string, failed: boolean): CellResult => {
    const { matches: _m, ...rest } = cell;
    const matches = failed ? satisfies('error', cell.expected) : cell.matches;
    return {
      ...rest,
      ...(failed ? { code: 'error' as const, label: 'error' } : {}),
      ...(matches === undefined ? {} : { matches }),
      why,
      peerCrashes: crashes.map((c) => `peer crashed: ${c}`),
    };
  };
  const unexplained: string[] = [];
  for (let i = 1; ; i++) {
    const since = traffic.peers?.generation ?? 0;
    let cell = await run(traffic);
    let down: string[];
    try {
      down = (await traffic.peers?.crashesSince(since)) ?? [];
    } catch (e) {
      crashes.push(`and could not be restarted: ${e instanceof Error ? e.message : String(e)}`);
      return withCrashes(cell, `a peer of the row went down: ${crashes.join('; ')}`, true);
    }
    if (down.length === 0) {
      if (cell.attempts.failed > 0 && cell.censorActed === false && i < MAX_MEASUREMENTS) {
        unexplained.push(
          `measurement ${i}: ${cell.attempts.failed} session(s) failed (${cell.attempts.failures.join('; ')}) while the censor took no action`,
        );
        continue;
      }
      if (unexplained.length > 0)
        cell = {
          ...cell,
          unexplained: [...unexplained],
          why: `${cell.why}; ${unexplained.length} earlier measurement(s) set aside: sessions failed while the censor took no action`,
        };
      if (crashes.length === 0) return cell;
      return withCrashes(
        cell,
        `${cell.why}; measured again after a peer crashed (${crashes.join('; ')})`,
        false,
      );
    }
    crashes.push(...down);
    if (i >= MAX_MEASUREMENTS) {
      return withCrashes(
        cell,
        `a peer crashed during each of ${MAX_MEASUREMENTS} measurements: ${crashes.join('; ')}`,
        true,
      );
    }
  }
}

/** A lazily created national CA shared by every cell of a run. */
export function lazyNationalCa(bits?: number): () => Promise<NationalCa> {
  let p: Promise<NationalCa> | undefined;
  return () => (p ??= createNationalCa(bits === undefined ? {} : { rootBits: bits }));
}

/** Runs the transport × censor matrix. Rows that cannot run here are reported as skipped. */
export async function runMatrix(o: MatrixOptions = {}): Promise<MatrixReport> {
  const t0 = performance.now();
  const rows = o.rows ?? ROWS.filter((r) => r.optIn !== true);
  const columns = o.columns ?? COLUMNS;
  const nationalCa = lazyNationalCa(o.nationalRootBits);
  const rateCells =
    o.rateCells ?? rows.length * columns.filter((c) => c.kind === 'probabilistic').length;
  const perRow = await mapLimit(rows, o.parallel ?? 1, async (row) => {
    const info: {
      id: string;
      label: string;
      group: string;
      description?: string;
      skipped?: string;
    } = {
      id: row.id,
      label: row.label,
      group: row.group,
    };
    const avail = await row.available();
    if (avail !== true) {
      info.skipped = avail;
      o.onSkip?.(row, avail);
      return { info, cells: [] as CellResult[] };
    }
    const onTraffic = (r: TrafficKind, t: RunningTraffic): void => {
      if (t.description !== undefined) info.description = t.description;
      o.onTraffic?.(r, t);
    };
    return {
      info,
      cells: await runRow(row, columns, { ...o, rateCells, nationalCa, onTraffic }),
    };
  });
  const rowInfo = perRow.map((x) => x.info);
  const cells = perRow.flatMap((x) => x.cells);
  return {
    generatedAt: new Date().toISOString(),
    seed: o.seed ?? 1,
    timeScale: o.timeScale ?? 0.01,
    settings: {
      attempts: o.attempts ?? 8,
      flows: o.flows ?? 200,
      timeoutMs: o.timeoutMs ?? 2500,
      bytes: o.bytes ?? 32 * 1024,
    },
    rows: rowInfo,
    columns: columns.map((c) => ({ id: c.id, label: c.label, kind: c.kind, source: c.source })),
    cells,
    durationMs: Math.round(performance.now() - t0),
  };
}

export type { Endpoint };

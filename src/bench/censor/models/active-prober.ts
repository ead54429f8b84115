import { setMaxListeners } from 'node:events';
import { probeSet, type ProbeSetName } from '../../probe/probe-set.js';
import { runProbes } from '../../probe/runner.js';
import { judge, type ProbeVerdict, type VerdictOptions } from '../../probe/verdict.js';
import type { ProbeResult, ProbeTarget } from '../../probe/types.js';
import { Blocklist } from '../tables.js';
import type { CensorContext, CensorModel, Decision, FlowInfo } from '../types.js';

export interface ActiveProberOptions {
  /** flagged: probe endpoints another model flagged (the GFW pipeline); allNewEndpoints: every new one. */
  readonly on?: 'flagged' | 'allNewEndpoints';
  /** Delay from trigger to probing, model ms (0.3 s: the GFW's fastest observed replay). */
  readonly delayMs?: number;
  /** Which probes (censors.md §6.2 `probeSet`). */
  readonly probeSet?: ProbeSetName;
  /** How long each probe waits for a close (T_max), model ms; default 120 s. */
  readonly budgetMs?: number;
  /** Geedge-style verifier that holds the bridge line: adds O4k. */
  readonly knowsBridgeLine?: boolean;
  readonly authenticatedProbe?: (target: ProbeTarget, signal: AbortSignal) => Promise<boolean>;
  /** Floor for the scaled budget, real ms (3 s). */
  readonly minBudgetMs?: number;
  /** Blocklist TTL for confirmed endpoints, model ms (12 h). */
  readonly ttlMs?: number;
  /** Also block on the score-only silent-server fingerprint. */
  readonly blockOnScore?: boolean;
  readonly verdict?: VerdictOptions;
  /** Where probes go: the real server behind the middlebox (default: the flow's server address). */
  readonly probeTarget?: (flow: FlowInfo) => ProbeTarget;
  /** Replaces the network prober (unit tests). */
  readonly prober?: (
    target: ProbeTarget,
    recorded: Uint8Array | undefined,
    signal: AbortSignal,
  ) => Promise<ProbeResult[]>;
}

export interface ActiveProberModel extends CensorModel {
  /** Resolves when every probing round triggered so far has finished. */
  idle(): Promise<void>;
  /** The verdict per endpoint key ("ip:port"). */
  readonly verdicts: ReadonlyMap<string, ProbeVerdict>;
}

/**
 * The active prober (censors.md §3, §6.2): when triggered for an endpoint it connects to the server
 * itself, from elsewhere, with the probe set, and judges the reactions (bytes returned, close type,
 * timing). A confirmed endpoint goes on the blocklist and its server→client traffic is null-routed.
 */
export function activeProber(opts: ActiveProberOptions = {}): ActiveProberModel {
  const name = 'active-prober';
  const on = opts.on ?? 'flagged';
  const delayMs = opts.delayMs ?? 300;
  const budgetMs = opts.budgetMs ?? 120_000;
  const ttlMs = opts.ttlMs ?? 12 * 3_600_000;
  const triggered = new Set<string>();
  const recorded = new Map<string, Uint8Array>();
  const pending = new Set<Promise<void>>();
  const verdicts = new Map<string, ProbeVerdict>();
  const ac = new AbortController();
  // Every probe connection listens on this one signal.
  setMaxListeners(0, ac.signal);
  const timers = new Map<NodeJS.Timeout, () => void>();

  const key = (f: FlowInfo): string => Blocklist.endpointKey(f.serverIp, f.serverPort);

  const nullRoute = (f: FlowInfo, ctx: CensorContext): Decision | undefined => {
    const e = ctx.blocklist.get(key(f));
    if (e === undefined || e.addedBy !== name) return undefined;
    return {
      model: name,
      rule: 'blocklisted',
      verdict: 'block',
      action: 'nullRouteS2C',
      evidence: { endpoint: e.key, reason: e.reason },
    };
  };

  const trigger = (flow: FlowInfo, ctx: CensorContext, why: string): void => {
    const k = key(flow);
    if (triggered.has(k) || ac.signal.aborted) return;
    triggered.add(k);
    const target = opts.probeTarget?.(flow) ?? { host: flow.serverIp, port: flow.serverPort };
    const job = new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        void probe(flow, ctx, k, target, why).finally(resolve);
      }, ctx.clock.scaled(delayMs));
      timers.set(t, resolve);
    });
    pending.add(job);
    void job.then(() => pending.delete(job));
  };

  const probe = async (
    flow: FlowInfo,
    ctx: CensorContext,
    k: string,
    target: ProbeTarget,
    why: string,
  ): Promise<void> => {
    // Scaled, but never so short that a loaded machine's TLS handshake looks like silence.
    const budget = Math.max(opts.minBudgetMs ?? 3000, ctx.clock.scaled(budgetMs));
    const rec = recorded.get(k);
    let results: ProbeResult[];
    try {
      results = opts.prober
        ? await opts.prober(target, rec, ac.signal)
        : await runProbes(
            target,
            probeSet(opts.probeSet ?? 'quick', {
              ...(rec ? { recorded: rec } : {}),
              withBridgeLine:
                (opts.knowsBridgeLine ?? false) && opts.authenticatedProbe !== undefined,
            }),
            {
              budgetMs: budget,
              signal: ac.signal,
              ...(opts.authenticatedProbe ? { authenticatedProbe: opts.authenticatedProbe } : {}),
            },
          );
    } catch (e) {
      ctx.record(
        flow,
        {
          model: name,
          rule: 'probeFailed',
          verdict: 'allow',
          action: 'none',
          evidence: { error: String(e) },
        },
        'probe',
      );
      return;
    }
    if (ac.signal.aborted) return;
    const v = judge(results, opts.verdict ?? {});
    verdicts.set(k, v);
    const evidence = {
      endpoint: k,
      trigger: why,
      probes: results.length,
      budgetMs: Math.round(budget),
      code: v.code,
      reasons: v.reasons,
      summary: v.summary,
      results: results.map((r) => ({
        id: r.id,
        outcome: r.outcome,
        bytes: r.bytesReceived,
        // What an answer began with, so a report shows what the endpoint said.
        ...(r.bytesReceived > 0 ? { head: r.responseHead.slice(0, 32) } : {}),
        ...(r.closeMs === undefined ? {} : { closeMs: r.closeMs }),
        ...(r.confirmed === undefined ? {} : { confirmed: r.confirmed }),
      })),
    };
    const block = v.distinguishable || (v.code === 'S' && (opts.blockOnScore ?? false));
    if (block) {
      ctx.blocklist.add(k, ttlMs, name, v.reasons[0] ?? v.code);
      ctx.record(
        flow,
        {
          model: name,
          rule: v.code === 'S' ? 'silentServer' : 'confirmed',
          verdict: 'block',
          action: 'nullRouteS2C',
          evidence,
        },
        'probe',
      );
    } else {
      ctx.record(
        flow,
        {
          model: name,
          rule: v.code === 'S' ? 'silentServerScore' : 'notConfirmed',
          verdict: v.code === 'S' ? 'flag' : 'allow',
          action: 'none',
          evidence,
        },
        'probe',
      );
    }
  };

  return {
    name,
    verdicts,
    onFlowStart(flow, ctx) {
      const d = nullRoute(flow, ctx);
      if (d) return d;
      if (on === 'allNewEndpoints') trigger(flow, ctx, 'new endpoint');
      return undefined;
    },
    inspect(flow, ctx) {
      const k = key(flow);
      let first = true;
      let routed = false;
      return {
        onChunk(chunk) {
          if (chunk.dir === 'c2s' && first && chunk.bytes.length > 0) {
            first = false;
            if (!recorded.has(k)) recorded.set(k, Uint8Array.from(chunk.bytes));
          }
          // An endpoint confirmed while this flow was open is null-routed from now on.
          if (!routed && chunk.dir === 's2c') {
            const d = nullRoute(flow, ctx);
            if (d) {
              routed = true;
              return d;
            }
          }
          return undefined;
        },
      };
    },
    observe(flow, d, ctx) {
      if (on === 'flagged' && d.verdict === 'flag' && d.action !== 'intercept')
        trigger(flow, ctx, `${d.model}:${d.rule}`);
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    close() {
      ac.abort();
      for (const [t, resolve] of timers) {
        clearTimeout(t);
        resolve();
      }
      timers.clear();
    },
  };
}

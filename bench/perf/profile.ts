/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`) by self time and by inclusive time per
 * function, so the bench can say which functions dominate steppe's hot path. Also runnable alone:
 *   node dist/bench/perf/profile.js DIR
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  ms: number;
  /** Share of the non-idle samples. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  /** Time spent in the function's own code (native calls it makes count as its own). */
  self: FunctionTime[];
  /** Time with the function anywhere on the stack, counted once per sample. */
  inclusive: FunctionTime[];
}

function frameName(f: CallFrame): string {
  const file = f.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
}

/** Frames that are on every stack and say nothing about where the work is. */
const INFRA =
  /^\((root|program|idle|garbage collector)\)|^processTicksAndRejections |^emit |^listOnTimeout |^processTimers /;

function rows(m: Map<string, number>, busyUs: number): FunctionTime[] {
  return [...m.entries()]
    .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

export function summarize(p: CpuProfile): ProfileSummary {
  const frameOf = new Map<number, CallFrame>();
  const parentOf = new Map<number, number>();
  for (const n of p.nodes) {
    frameOf.set(n.id, n.callFrame);
    for (const c of n.children ?? []) parentOf.set(c, n.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0; // V8 attributes the next delta to this sample.
    const leaf = p.samples[i] ?? -1;
    const f = frameOf.get(leaf);
    if (!f) continue;
    total += dt;
    if (f.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    const name = frameName(f);
    self.set(name, (self.get(name) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf; id !== undefined; id = parentOf.get(id)) {
      const fr = frameOf.get(id);
      if (!fr) break;
      const nm = frameName(fr);
      if (seen.has(nm) || INFRA.test(nm)) continue;
      seen.add(nm);
      inclusive.set(nm, (inclusive.get(nm) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    self: rows(self, busy),
    inclusive: rows(inclusive, busy),
  };
}

function table(head: string, xs: FunctionTime[], top: number): string[] {
  return [
    `| ${head} ms | share | function |`,
    '|---:|---:|---|',
    ...xs
      .slice(0, top)
      .map((r) => `| ${r.ms.toFixed(0)} | ${(100 * r.share).toFixed(1)}% | \`${r.name}\` |`),
    '',
  ];
}

export function summarizeProfiles(
  dir: string,
  roles: ReadonlyMap<number, string>,
  top = 25,
): string {
  const out: string[] = ['', `## CPU profiles in ${dir} (share of non-idle samples)`, ''];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  if (files.length === 0) out.push('No .cpuprofile files (did the PTs exit gracefully?).');
  for (const f of files) {
    const pid = Number(/\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(f)?.[1] ?? -1);
    let p: CpuProfile;
    try {
      p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    } catch {
      continue;
    }
    const s = summarize(p);
    out.push(
      `### ${roles.get(pid) ?? `pid ${pid}`} (${f}): ${(s.totalMs / 1000).toFixed(1)} s sampled, ${((s.totalMs - s.idleMs) / 1000).toFixed(1)} s busy`,
      '',
      'Self time:',
      '',
      ...table('self', s.self, top),
      'Inclusive time (the function and everything it called):',
      '',
      ...table('total', s.inclusive, top),
    );
  }
  return out.join('\n') + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node dist/bench/perf/profile.js DIR');
    process.exit(2);
  }
  process.stdout.write(summarizeProfiles(dir, new Map()));
}

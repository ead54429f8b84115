/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`) by self time per function, so the
 * bench can say which functions dominate steppe's hot path. Also runnable on its own:
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
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** Self time per function (µs deltas attributed to the sampled node), largest first. */
export function selfTimes(p: CpuProfile): { totalMs: number; idleMs: number; rows: SelfTime[] } {
  const frameOf = new Map<number, CallFrame>();
  for (const n of p.nodes) frameOf.set(n.id, n.callFrame);
  const byName = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0; // V8 attributes the next delta to this sample.
    const f = frameOf.get(p.samples[i] ?? -1);
    if (!f) continue;
    total += dt;
    if (f.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    const file = f.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:');
    const name =
      `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    byName.set(name, (byName.get(name) ?? 0) + dt);
  }
  const busy = total - idle;
  const rows = [...byName.entries()]
    .map(([name, us]) => ({ name, ms: us / 1000, share: busy > 0 ? us / busy : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, idleMs: idle / 1000, rows };
}

export function summarizeProfiles(
  dir: string,
  roles: ReadonlyMap<number, string>,
  top = 25,
): string {
  const out: string[] = [
    '',
    `## CPU profiles in ${dir} (self time, share of non-idle samples)`,
    '',
  ];
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
    const s = selfTimes(p);
    out.push(
      `### ${roles.get(pid) ?? `pid ${pid}`} (${f}): ${(s.totalMs / 1000).toFixed(1)} s sampled, ${((s.totalMs - s.idleMs) / 1000).toFixed(1)} s busy`,
      '',
      '| self ms | share | function |',
      '|---:|---:|---|',
      ...s.rows
        .slice(0, top)
        .map((r) => `| ${r.ms.toFixed(0)} | ${(100 * r.share).toFixed(1)}% | \`${r.name}\` |`),
      '',
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

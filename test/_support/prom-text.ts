// A strict parser of the Prometheus text exposition format (version 0.0.4), for tests that scrape
// /metrics: prom-client has no parser of its own. It throws on anything a Prometheus server would
// reject or that the format forbids: bad names or escapes, a sample before its family's TYPE or
// outside its family's block, a repeated series or label, histogram buckets that are not
// cumulative or lack +Inf, a counter below zero, a missing final newline.

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  type: PromType;
  help: string | undefined;
  readonly samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<PromType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePromText(text: string): Map<string, PromFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition: no final newline');
  const families = new Map<string, PromFamily>();
  const seriesSeen = new Set<string>();
  const closed = new Set<string>();
  const typed = new Set<string>();
  let current: string | null = null;
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1} ${JSON.stringify(line)}`;
    const enter = (family: string): void => {
      if (current === family) return;
      if (closed.has(family)) throw new Error(`${where}: family ${family} is not contiguous`);
      if (current !== null) closed.add(current);
      current = family;
    };
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (m === null) return; // an ordinary comment
      const [, kw, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name`);
      enter(name);
      const fam = families.get(name) ?? { name, type: 'untyped', help: undefined, samples: [] };
      families.set(name, fam);
      if (kw === 'HELP') {
        if (fam.help !== undefined) throw new Error(`${where}: second HELP`);
        fam.help = unescape(rest, false, where);
      } else {
        if (!TYPES.has(rest as PromType)) throw new Error(`${where}: unknown type`);
        if (fam.samples.length > 0) throw new Error(`${where}: TYPE after samples`);
        if (typed.has(name)) throw new Error(`${where}: second TYPE`);
        typed.add(name);
        fam.type = rest as PromType;
      }
      return;
    }
    const sample = parseSample(line, where);
    const family = familyOf(sample.name, families);
    enter(family);
    const fam = families.get(family) ?? {
      name: family,
      type: 'untyped' as PromType,
      help: undefined,
      samples: [],
    };
    families.set(family, fam);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seriesSeen.has(key)) throw new Error(`${where}: repeated series`);
    seriesSeen.add(key);
    if (fam.type === 'counter' && !(sample.value >= 0)) throw new Error(`${where}: counter < 0`);
    fam.samples.push(sample);
  });
  for (const fam of families.values()) if (fam.type === 'histogram') checkHistogram(fam);
  return families;
}

/** The family a sample belongs to: a histogram/summary's _bucket/_sum/_count go to their base. */
function familyOf(name: string, families: Map<string, PromFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const t = families.get(base)?.type;
    if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
  }
  return name;
}

function parseSample(line: string, where: string): PromSample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{|\s)/.exec(line);
  if (m === null) throw new Error(`${where}: bad sample`);
  const name = m[1] ?? '';
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos += 1;
    for (;;) {
      if (line[pos] === '}') {
        pos += 1;
        break;
      }
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(pos));
      if (lm === null) throw new Error(`${where}: bad label at column ${pos}`);
      const label = lm[1] ?? '';
      if (!LABEL_NAME.test(label) || label.startsWith('__'))
        throw new Error(`${where}: reserved label ${label}`);
      if (label in labels) throw new Error(`${where}: repeated label ${label}`);
      pos += lm[0].length;
      let raw = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new Error(`${where}: unterminated label value`);
        if (c === '"') break;
        if (c === '\\') {
          raw += c + (line[pos + 1] ?? '');
          pos += 2;
        } else {
          raw += c;
          pos += 1;
        }
      }
      pos += 1;
      labels[label] = unescape(raw, true, where);
      if (line[pos] === ',') pos += 1;
      else if (line[pos] !== '}') throw new Error(`${where}: expected , or } at column ${pos}`);
    }
  }
  const rest = line.slice(pos);
  const vm = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
  if (vm === null) throw new Error(`${where}: bad value part ${JSON.stringify(rest)}`);
  return { name, labels, value: parseValue(vm[1] ?? '', where) };
}

function parseValue(s: string, where: string): number {
  // Prometheus reads values with Go's strconv.ParseFloat: NaN and Inf in any case (prom-client
  // writes "Nan").
  if (/^nan$/i.test(s)) return NaN;
  if (/^\+?inf(inity)?$/i.test(s)) return Infinity;
  if (/^-inf(inity)?$/i.test(s)) return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new Error(`${where}: bad value`);
  return Number(s);
}

function unescape(s: string, quoted: boolean, where: string): string {
  return s.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === '"' && quoted) return '"';
    throw new Error(`${where}: bad escape \\${c}`);
  });
}

function checkHistogram(fam: PromFamily): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const s of fam.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${fam.name}_bucket`) {
      if (le === undefined) throw new Error(`${fam.name}: bucket without le`);
      g.buckets.push([parseValue(le, fam.name), s.value]);
    } else if (s.name === `${fam.name}_count`) g.count = s.value;
    else if (s.name !== `${fam.name}_sum`) throw new Error(`${fam.name}: stray sample ${s.name}`);
  }
  for (const [key, g] of groups) {
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      if ((sorted[i]?.[1] ?? 0) < (sorted[i - 1]?.[1] ?? 0))
        throw new Error(`${fam.name}${key}: buckets not cumulative`);
    }
    const inf = sorted.at(-1);
    if (inf === undefined || inf[0] !== Infinity) throw new Error(`${fam.name}${key}: no +Inf`);
    if (g.count !== inf[1]) throw new Error(`${fam.name}${key}: _count != +Inf bucket`);
  }
}

/** The value of the one sample named `name` whose labels include `labels`; throws otherwise. */
export function promValue(
  families: Map<string, PromFamily>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const found = [...families.values()]
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1)
    throw new Error(`${found.length} samples ${name}${JSON.stringify(labels)}`);
  return found[0]?.value ?? NaN;
}

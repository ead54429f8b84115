/**
 * Runs `bench:soak` for a few seconds (steppe pair and obfs4proxy pair side by side) so that the
 * soak bench never rots: every process gets a series, steppe's carries the heap after GC from its
 * diag hook, and the report files are well formed. Nothing about memory or speed is asserted: a
 * few seconds say nothing about slopes (the bench reports; bench/soak/README.md quotes a 30-minute
 * run). Skipped under STEPPE_QUICK=1 outside CI, like the other slow suites.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveObfs4proxy } from '../_support/obfs4proxy.js';
import type { SoakReport } from '../../bench/soak/report.js';

const ci = process.env.CI === 'true';
const skip =
  process.env.STEPPE_QUICK === '1' && !ci
    ? 'slow suite (STEPPE_QUICK=1)'
    : haveObfs4proxy()
      ? false
      : 'obfs4proxy not installed';

const main = fileURLToPath(new URL('../../bench/soak/main.js', import.meta.url));

test(
  'bench:soak runs a few seconds end to end and reports every series',
  { skip, timeout: 120_000 },
  async () => {
    const out = mkdtempSync(join(tmpdir(), 'steppe-bench-soak-'));
    try {
      const args = ['--duration', '4s', '--interval', '1s', '--drain', '1s', '--idle', '20'];
      const child = spawn(process.execPath, [main, ...args, '--out', out], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, `bench exited ${code}\n${stderr.slice(-3000)}`);
      assert.match(stdout, /\| process \| metric \| baseline \| end of load \| after drain \|/);

      const report = JSON.parse(readFileSync(join(out, 'soak-latest.json'), 'utf8')) as SoakReport;
      const names = report.series.map((s) => s.name).sort();
      assert.deepEqual(names, [
        'obfs4proxy client',
        'obfs4proxy server',
        'steppe client',
        'steppe server',
      ]);
      for (const s of report.series) {
        assert.equal(s.crashed, undefined, `${s.name} did not crash`);
        const phases = new Set(s.samples.map((x) => x.phase));
        assert.deepEqual([...phases].sort(), ['baseline', 'drain', 'load'], `${s.name} phases`);
        for (const x of s.samples) {
          assert.ok(x.rssKiB > 0 && x.fds > 0, `${s.name} has RSS and fds at ${x.t}`);
          if (s.impl === 'steppe') assert.ok((x.heapKiB ?? 0) > 0, `${s.name} heap at ${x.t}`);
        }
      }
      for (const p of report.load) assert.ok(p.counts.churnOk > 0, `${p.impl} churned connections`);
      assert.ok(
        report.summary.some((r) => r.series === 'steppe server' && r.metric === 'heap after GC'),
      );
      assert.match(
        readFileSync(join(out, 'soak-latest.svg'), 'utf8'),
        /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);

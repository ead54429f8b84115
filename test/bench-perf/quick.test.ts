/**
 * Runs `bench:perf --quick` end to end (steppe pair vs obfs4proxy pair, about 90 s) so that the
 * performance bench never rots. It checks that every phase produced numbers and that the report
 * files are well formed; it asserts nothing about speed (CI machines vary; the bench reports).
 * Skipped under STEPPE_QUICK=1 outside CI, like the other slow suites.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveObfs4proxy } from '../_support/obfs4proxy.js';
import type { Report } from '../../bench/perf/results.js';

const ci = process.env.CI === 'true';
const skip =
  process.env.STEPPE_QUICK === '1' && !ci
    ? 'slow suite (STEPPE_QUICK=1)'
    : haveObfs4proxy()
      ? false
      : 'obfs4proxy not installed';

const main = fileURLToPath(new URL('../../bench/perf/main.js', import.meta.url));

test(
  'bench:perf --quick runs end to end and reports every metric',
  { skip, timeout: 180_000 },
  async () => {
    const out = mkdtempSync(join(tmpdir(), 'steppe-bench-perf-'));
    try {
      const child = spawn(process.execPath, [main, '--quick', '--out', out], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, `bench exited ${code}\n${stderr.slice(-3000)}`);
      assert.match(stdout, /\| metric \| steppe \| obfs4proxy \| A\/B \| target \|/);

      const report = JSON.parse(
        readFileSync(join(out, 'perf-quick-latest.json'), 'utf8'),
      ) as Report;
      const byId = new Map(report.metrics.map((m) => [m.id, m]));
      for (const id of [
        'hs.rate',
        'bulk.iat0.up.1',
        'bulk.iat0.down.8',
        'bulk.iat1.up.1',
        'bulk.iat2.down.1',
        'mem.client.per',
        'mem.server.per',
        'ss.up.1',
        'ss.hs.rate',
        'obfs3.hs.rate',
        'obfs3.bulk.up.1',
        'obfs3.bulk.down.8',
        'wt.up.1',
        'wt.hs.rate',
        'wto.down.1',
        'wto.hs.rate',
        'wto.hs.cpu.client',
        'ss.hs.cpu.server',
        'obfs3.hs.cpu.client',
        'floor.up.1',
        'floor.hs.rate',
        'floor.hs.cpu.server',
        'sbs.rate',
        'sbs.cpu.client',
        'sbs.cpu.server',
      ]) {
        const m = byId.get(id);
        assert.ok(m, `metric ${id} is reported`);
        assert.ok(
          m.A.samples.length > 0 && m.B.samples.length > 0,
          `${id} has samples on both sides: ${m.errors.join('; ')}`,
        );
        assert.ok(Number.isFinite(m.ratio) && m.ratio > 0, `${id} has a ratio`);
      }
      const note = (prefix: string): string => {
        const n = report.meta.notes.find((x) => x.startsWith(prefix));
        assert.ok(n, `the note "${prefix}…" is reported: ${report.meta.notes.join(' | ')}`);
        return n;
      };
      const perSide = /steppe \d+\.\d{3} \/ \d+\.\d{3} ms, obfs4proxy \d+\.\d{3} \/ \d+\.\d{3} ms/;
      assert.match(note('handshakes: CPU per connection off the main thread'), perSide);
      assert.match(note('handshakes: CPU per connection in the kernel'), perSide);
      assert.match(
        note("handshakes: the harness's CPU per connection"),
        /steppe \d+\.\d{3} ms, obfs4proxy \d+\.\d{3} ms; .* rate ratio of \d+\.\d{2}× \(\d+\.\d{2}× without the harness\)$/,
      );
      assert.ok(
        report.timing.some((c) => c.mode === 1 && c.A && c.B),
        'iat-mode 1 timing measured on both sides',
      );
      for (const f of ['perf-quick-latest.svg', 'perf-quick-latest.iat.svg']) {
        assert.match(
          readFileSync(join(out, f), 'utf8'),
          /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/,
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);

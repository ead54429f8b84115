// The bench runs `node bin/steppe`, which skips the #! line: shebangEnv must give node the same
// environment that executing the script would (test/managed/malloc-tunables.test.ts checks that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shebangEnv } from '../../bench/perf/shebang-env.js';
import { steppeImpl } from '../../bench/perf/pt-pair.js';

function scriptWith(firstLine: string): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'steppe-shebang-'));
  const path = join(dir, 'script');
  writeFileSync(path, `${firstLine}\n'use strict';\n`);
  return { path, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('assignments before the command, ${NAME} expanded, unset as empty', () => {
  const s = scriptWith('#!/usr/bin/env -S A=1:${X} B=${Y}z node --flag C=3');
  try {
    assert.deepEqual(shebangEnv(s.path, { X: 'x' }), { A: '1:x', B: 'z' });
  } finally {
    s.done();
  }
});

test('a plain #!/usr/bin/env node line sets nothing', () => {
  const s = scriptWith('#!/usr/bin/env node');
  try {
    assert.deepEqual(shebangEnv(s.path, {}), {});
  } finally {
    s.done();
  }
});

test("the bench's steppe gets bin/steppe's malloc setting", () => {
  const bin = fileURLToPath(new URL('../../../bin/steppe', import.meta.url));
  const env = shebangEnv(bin, {});
  assert.match(env['GLIBC_TUNABLES'] ?? '', /^glibc\.malloc\.trim_threshold=\d+:$/);
  assert.deepEqual(steppeImpl().env, shebangEnv(bin));
});

// The bench refuses at once a reference binary that is not installed, instead of running every
// phase with one side failing to spawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../bench/perf/main.js', import.meta.url));

test('bench:perf exits at once, naming the missing binary and the fix', () => {
  const missing = '/nonexistent/steppe-test/obfs4proxy';
  const r = spawnSync(process.execPath, [main, '--quick', '--b', missing], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 1, `exit status ${r.status}\n${r.stderr}`);
  assert.match(
    r.stderr,
    /\/nonexistent\/steppe-test\/obfs4proxy is not installed or not executable/,
  );
  assert.match(r.stderr, /apt-get install obfs4proxy/);
  assert.doesNotMatch(r.stdout, /\| metric \|/, 'no report was written');
});

#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's test runner. Node 20 takes no glob
// arguments, so the files are listed here. Environment:
//   STEPPE_QUICK=1   sampled sweeps, no slow suites (a quick local loop)
//   STEPPE_ONLY=re   only files whose path matches the regular expression
// CI=true makes the slow suites (interop, tor testnet, exhaustive sweeps) mandatory.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'dist', 'test');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

let files = walk(testRoot);
if (process.env.STEPPE_ONLY) {
  const re = new RegExp(process.env.STEPPE_ONLY);
  files = files.filter((f) => re.test(relative(root, f)));
}
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/test (did the build run?)');
  process.exit(1);
}
const args = ['--test', '--test-reporter=spec', ...process.argv.slice(2), ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);

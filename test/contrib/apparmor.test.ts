// The AppArmor lines the README gives tor-bridge operators for /etc/apparmor.d/local/system_tor
// parse together with the installed tor's own profile (apparmor_parser, nothing loaded into the
// kernel), and the include really pulls them into the system_tor profile. Whether they suffice
// at run time needs a kernel with AppArmor enforcing, which the test machine does not have.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../cli/support/steppe.js';

const run = promisify(execFile);
const PROFILES = '/etc/apparmor.d';
const PARSER = '/sbin/apparmor_parser';
const CI = process.env['CI'] === 'true';
const present = existsSync(PARSER) && existsSync(join(PROFILES, 'system_tor'));
// .ci/run installs tor and apparmor: without them there, this is a failure, not a skip.
const skip =
  present || CI
    ? false
    : 'apparmor_parser or the tor AppArmor profile is absent (Debian: apt-get install apparmor tor)';

/** The README's block for local/system_tor: the code block that starts with "# steppe from npm". */
async function readmeRules(): Promise<string> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const m = /```\n(# steppe from npm install -g[^\n]*\n(?:[^`][^\n]*\n)+)```/.exec(readme);
  assert.ok(m?.[1] !== undefined, 'README has no local/system_tor block');
  return m[1];
}

test("the README's AppArmor lines parse inside tor's system_tor profile", { skip }, async () => {
  const rules = await readmeRules();
  assert.match(rules, /\/bin\/steppe rix,/);
  assert.match(rules, /^\/usr\/bin\/node rix,$/m);
  const base = await mkdtemp(join(tmpdir(), 'steppe-apparmor-'));
  try {
    await cp(PROFILES, base, { recursive: true });
    await writeFile(join(base, 'local', 'system_tor'), rules);
    // -Q: parse and compile only, -K: no cache, -b: includes resolve in the copy.
    await run(PARSER, ['-Q', '-K', '-b', base, join(base, 'system_tor')]);
    // -p prints the profile with its includes expanded: the rules are inside system_tor.
    const expanded = (await run(PARSER, ['-p', '-b', base, join(base, 'system_tor')])).stdout;
    for (const line of rules.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      assert.ok(expanded.includes(line), `${line} is not in the expanded profile`);
    }
    // And a broken rule is refused, so a pass above means something.
    await writeFile(join(base, 'local', 'system_tor'), `${rules}/usr/bin/steppe rixq,\n`);
    await assert.rejects(run(PARSER, ['-Q', '-K', '-b', base, join(base, 'system_tor')]));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

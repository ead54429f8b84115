/**
 * The README's library example is examples/echo-bridge.mjs, verbatim; this runs it as a user
 * would (importing 'steppe' by package name) and checks both that it works and that the README
 * still shows exactly this code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

test('the README library example runs and matches examples/echo-bridge.mjs', () => {
  const file = new URL('examples/echo-bridge.mjs', root);
  const code = readFileSync(file, 'utf8');
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  assert.ok(
    readme.includes('```js\n' + code + '```'),
    'README shows examples/echo-bridge.mjs verbatim',
  );
  const out = execFileSync(process.execPath, [file.pathname], {
    cwd: root,
    timeout: 20_000,
    encoding: 'utf8',
  });
  assert.match(out, /^Bridge obfs4 127\.0\.0\.1:\d+ cert=[A-Za-z0-9+/]{70} iat-mode=0$/m);
  assert.match(out, /^echoed: hello through obfs4$/m);
});

/**
 * The README's library example is examples/echo-bridge.mjs, verbatim; this runs it as a user
 * would (importing 'steppe' by package name) and checks both that it works and that the README
 * still shows exactly this code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startHttpConnectProxy, startSocksProxy } from './net/support/proxies.js';

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

test('examples/through-proxy.mjs: identity API and dial through SOCKS5, SOCKS4a, HTTP CONNECT', async () => {
  const file = new URL('examples/through-proxy.mjs', root);
  const run = (env: Record<string, string>): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [file.pathname],
        { cwd: root, timeout: 20_000, encoding: 'utf8', env: { ...process.env, ...env } },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
    });
  assert.match(await run({ PROXY: '' }), /^echoed: hello through a proxy$/m);
  const socks = await startSocksProxy();
  const http = await startHttpConnectProxy();
  try {
    for (const [uri, proxy] of [
      [`socks5://127.0.0.1:${socks.port}`, socks],
      [`socks4a://127.0.0.1:${socks.port}`, socks],
      [`http://127.0.0.1:${http.port}`, http],
    ] as const) {
      const before = proxy.targets.length;
      assert.match(await run({ PROXY: uri }), /^echoed: hello through a proxy$/m, uri);
      assert.equal(proxy.targets.length, before + 1, `${uri} carried the connection`);
      assert.match(proxy.targets.at(-1) ?? '', /^127\.0\.0\.1:\d+$/);
    }
  } finally {
    await socks.close();
    await http.close();
  }
});

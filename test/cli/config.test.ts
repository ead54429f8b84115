// Config files: the same document in JSON and TOML, and for every kind of mistake one line
// that names the file and the field. The schema tables in the docs match the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLIENT_FIELDS,
  ConfigError,
  loadConfig,
  parseConfigText,
  schemaMarkdown,
  SERVER_FIELDS,
} from '../../src/cli/config.js';
import { docsText } from './support/docs.js';

test('JSON and TOML give the same settings', () => {
  const json = parseConfigText(
    JSON.stringify({
      listen: '0.0.0.0:443',
      forward: 'socks',
      'iat-mode': 1,
      options: { 'iat-mode': 1 },
      'proxy-protocol': false,
      $schema: 'ignored',
    }),
    SERVER_FIELDS,
    'server.json',
  );
  const toml = parseConfigText(
    'listen = "0.0.0.0:443"\nforward = "socks"\niat-mode = 1\nproxy-protocol = false\n[options]\niat-mode = 1\n',
    SERVER_FIELDS,
    'server.toml',
  );
  assert.deepEqual(json.values, toml.values);
  assert.equal(json.values.get('iat-mode'), 1);
  assert.deepEqual([...(json.values.get('options') as Map<string, string>)], [['iat-mode', '1']]);
});

test('format by extension, else by the first character', () => {
  assert.equal(
    parseConfigText('{"server":"h:1"}', CLIENT_FIELDS, 'c.conf').values.get('server'),
    'h:1',
  );
  assert.equal(
    parseConfigText('server = "h:1"', CLIENT_FIELDS, 'c.conf').values.get('server'),
    'h:1',
  );
});

test('every mistake is one line naming the file and the field', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['s.json', '{"listen": 443,}', /^config s\.json: not valid JSON at line 1, column 16: /],
    ['s.json', '[1]', /^config s\.json: the top level must be a table of settings, not a list$/],
    [
      's.json',
      '{"listen": 443}',
      /^config s\.json: field "listen" must be a string, e\.g\. listen = "0\.0\.0\.0:443"; got an integer$/,
    ],
    ['s.json', '{"listen": ""}', /^config s\.json: field "listen" is empty$/],
    [
      's.json',
      '{"lisen": "x"}',
      /^config s\.json: unknown field "lisen" \(did you mean "listen"\?\); known fields: listen, /,
    ],
    ['s.json', '{"public_address": "x"}', /did you mean "public-address"/],
    ['s.json', '{"iat-mode": 3}', /^config s\.json: field "iat-mode" must be from 0 to 2, got 3$/],
    ['s.json', '{"iat-mode": 1.5}', /field "iat-mode" must be an integer/],
    [
      's.json',
      '{"proxy-protocol": "yes"}',
      /field "proxy-protocol" must be a boolean, e\.g\. proxy-protocol = true; got a string/,
    ],
    ['s.json', '{"options": ["iat-mode=1"]}', /field "options" must be a table/],
    [
      's.json',
      '{"options": {"k": [1]}}',
      /field "options" has "k" = a list; values must be strings or numbers/,
    ],
    ['s.toml', 'listen = "1\n', /^config s\.toml: not valid TOML at line 1, column \d+: /],
    ['s.toml', 'listen = 1979-05-27\n', /field "listen" must be a string.*got a date/],
    ['s.toml', '[listen]\nx = 1\n', /field "listen" must be a string.*got a table/],
  ];
  for (const [file, text, re] of cases) {
    assert.throws(
      () => parseConfigText(text, SERVER_FIELDS, file),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, text);
        assert.match(e.message, re, text);
        assert.ok(!e.message.includes('\n'), text);
        return true;
      },
    );
  }
  assert.throws(
    () => parseConfigText('{"check-timeout": 0}', CLIENT_FIELDS, 'c.json'),
    /field "check-timeout" must be from 0\.1 to 600, got 0/,
  );
});

test('unreadable files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-config-'));
  try {
    await assert.rejects(
      loadConfig(join(dir, 'none.toml'), SERVER_FIELDS),
      /cannot read it: no such file$/,
    );
    await assert.rejects(loadConfig(dir, SERVER_FIELDS), /cannot read it: it is a directory$/);
    await writeFile(join(dir, 'ok.toml'), 'forward = "127.0.0.1:22"\n');
    assert.equal(
      (await loadConfig(join(dir, 'ok.toml'), SERVER_FIELDS)).values.get('forward'),
      '127.0.0.1:22',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A Markdown table's rows with cell padding removed (Prettier aligns the columns). */
function tableRows(md: string): string {
  return md
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/^-{3,}$/, '---'))
        .join('|'),
    )
    .join('\n');
}

test('the documented schema tables are the ones in the code', async () => {
  const docs = tableRows(await docsText());
  assert.ok(
    docs.includes(tableRows(schemaMarkdown(SERVER_FIELDS))),
    'server schema table missing or stale in the docs',
  );
  assert.ok(
    docs.includes(tableRows(schemaMarkdown(CLIENT_FIELDS))),
    'client schema table missing or stale in the docs',
  );
});

// `steppe --help` and each standalone subcommand's help are complete and are what the README
// shows, character for character.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runToExit } from './support/steppe.js';
import { docsText } from './support/docs.js';
import { SERVER_DESCRIPTION } from '../../src/cli/server.js';
import { CLIENT_DESCRIPTION } from '../../src/cli/client.js';
import { KEYGEN_DESCRIPTION } from '../../src/cli/keygen.js';
import { BRIDGELINE_DESCRIPTION } from '../../src/cli/bridgeline.js';

const COMMANDS: Array<[string, string]> = [
  ['server', SERVER_DESCRIPTION],
  ['client', CLIENT_DESCRIPTION],
  ['keygen', KEYGEN_DESCRIPTION],
  ['bridgeline', BRIDGELINE_DESCRIPTION],
];

const squash = (s: string): string => s.replace(/\s+/g, ' ');

test('steppe --help lists every standalone subcommand with its description', async () => {
  const r = await runToExit(['--help']);
  assert.equal(r.code, 0);
  for (const [name, description] of COMMANDS) {
    assert.match(
      squash(r.stdout),
      new RegExp(
        `\\b${name} \\[options\\] ${squash(description).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
      ),
    );
  }
});

for (const [name] of COMMANDS) {
  test(`steppe ${name} --help is in the docs verbatim`, async () => {
    const r = await runToExit([name, '--help']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    const help = `${r.stdout}\n`;
    const docs = await docsText();
    assert.ok(
      docs.includes(`\`\`\`text\n${help}\`\`\``),
      `the docs do not show the current output of "steppe ${name} --help":\n${help}`,
    );
    // Every long option the command has appears in its help (commander lists them all), and
    // the same width is used on a terminal and in a pipe.
    const flags = [...help.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]);
    assert.ok(flags.length >= 5, flags.join());
    for (const line of help.split('\n')) assert.ok(line.length <= 100, line);
  });
}

test('the docs map every obfsproxy mode and global option', async () => {
  const docs = await docsText();
  for (const old of [
    'obfsproxy obfs3 server ',
    'obfsproxy obfs3 client ',
    'obfsproxy obfs3 ext_server ',
    'obfsproxy obfs3 socks ',
    'obfsproxy managed',
    '`--data-dir DIR`',
    '`--proxy socks5://host:port` (client)',
    '`--log-file FILE`',
    '`--log-min-severity',
    '`--no-log`',
    '`--no-safe-logging`',
    '`-v`, `--version`',
    '`--shared-secret S`',
    '`--password P`',
  ]) {
    assert.ok(docs.includes(old), `no mapping for ${old}`);
  }
  for (const section of [
    'OpenVPN over steppe',
    'SSH over steppe',
    '[Service]',
    'StateDirectory=steppe',
  ]) {
    assert.ok(docs.includes(section), `docs lack ${section}`);
  }
});

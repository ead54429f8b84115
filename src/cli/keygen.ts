/**
 * `steppe keygen`: creates a new server identity in a state directory (for obfs4:
 * obfs4_state.json and obfs4_bridgeline.txt, the format obfs4proxy and managed mode use) and
 * prints its bridge line, plus the share string when the address is known. Transport-neutral:
 * createIdentity makes the identity in memory and writeIdentity writes each file atomically, so
 * existing files are never half-overwritten.
 */
import { Command } from 'commander';
import { createIdentity, existingIdentityFiles, writeIdentity } from '../identity.js';
import {
  configureCommand,
  pickTransport,
  printIdentity,
  publicAddressWithPort,
  runAction,
  Settings,
  stateDir,
  transportNames,
  UsageError,
} from './standalone.js';

export const KEYGEN_DESCRIPTION =
  'create a new server identity in the state directory and print its bridge line';

export function registerKeygen(program: Command): void {
  const cmd = program.command('keygen').description(KEYGEN_DESCRIPTION);
  configureCommand(cmd, 'keygen')
    .option('-t, --transport <name>', `transport (default: obfs4; steppe has: ${transportNames()})`)
    .option(
      '-s, --state <dir>',
      'identity directory (default: $STATE_DIRECTORY, else ~/.local/state/steppe)',
    )
    .option('--iat-mode <n>', 'obfs4 inter-arrival-time obfuscation: 0 off, 1 on, 2 paranoid')
    .option(
      '--public-address <host:port>',
      'the address clients will use; also prints the share string',
    )
    .option('--url <url>', 'webtunnel: https://HOST/SECRET-PATH that the web server forwards here')
    .option('--force', 'replace an existing identity (clients holding the old cert stop working)')
    .option('--qr', 'also print the share string as a QR code')
    .addHelpText(
      'after',
      `
Example:
  steppe keygen --state /var/lib/steppe --public-address 203.0.113.5:443

An identity that already exists is kept: keygen refuses to run unless --force is given.
steppe server creates an identity on first start by itself; keygen is for preparing one.`,
    )
    .action(async (_opts: unknown, c: Command) => runAction('keygen', () => runKeygen(c)));
}

async function runKeygen(cmd: Command): Promise<void> {
  const s = new Settings(cmd, null);
  const transport = pickTransport(s.string('transport'));
  const dir = stateDir(s.string('state'));
  const address = publicAddressWithPort(s.string('public-address'));
  const options = new Map<string, string[]>();
  const iat = s.string('iat-mode');
  if (iat !== undefined) {
    if (!/^[012]$/.test(iat.value))
      throw new UsageError(`--iat-mode: must be 0, 1 or 2, got ${JSON.stringify(iat.value)}`);
    options.set('iat-mode', [iat.value]);
  }
  const url = s.string('url');
  if (url !== undefined) options.set('url', [url.value]);
  const force = s.bool('force', false);

  const identity = createIdentity({ transport, options });
  const clash = await existingIdentityFiles(dir, identity);
  if (clash.length > 0 && !force) {
    throw new UsageError(
      `${dir} already holds an identity (${clash.join(', ')}); keep it, or pass --force to replace it (clients holding the old cert stop working)`,
    );
  }
  await writeIdentity(dir, identity, { replace: force });
  const { clientArgs } = identity;

  await printIdentity(
    process.stdout,
    transport.name,
    address ?? transport.bridgeAddress?.(clientArgs),
    clientArgs,
    {
      qr: s.bool('qr', false),
    },
  );
  process.stderr.write(`steppe keygen: new ${transport.name} identity in ${dir}\n`);
}

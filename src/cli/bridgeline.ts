/**
 * `steppe bridgeline`: prints the bridge line and the share string of an existing server
 * identity without touching it. Transport-neutral and read-only: readIdentity reads what a
 * server started on the directory would use, and writes nothing.
 */
import { stat } from 'node:fs/promises';
import { Command } from 'commander';
import { PtError } from '../errors.js';
import { readIdentity } from '../identity.js';
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

export const BRIDGELINE_DESCRIPTION =
  "print an existing server identity's bridge line and share string (read-only)";

export function registerBridgeline(program: Command): void {
  const cmd = program.command('bridgeline').description(BRIDGELINE_DESCRIPTION);
  configureCommand(cmd, 'bridgeline')
    .option('-t, --transport <name>', `transport (default: obfs4; steppe has: ${transportNames()})`)
    .option(
      '-s, --state <dir>',
      'identity directory (default: $STATE_DIRECTORY, else ~/.local/state/steppe)',
    )
    .option(
      '--public-address <host:port>',
      'the address clients use (default: the placeholder <IP ADDRESS>:<PORT>)',
    )
    .option('--fingerprint <hex>', "the bridge's relay fingerprint, for tor Bridge lines")
    .option('--qr', 'also print the share string as a QR code')
    .addHelpText(
      'after',
      `
Example:
  steppe bridgeline --state /var/lib/steppe --public-address 203.0.113.5:443

The share string is printed only with --public-address (it needs a real address).`,
    )
    .action(async (_opts: unknown, c: Command) => runAction('bridgeline', () => runBridgeline(c)));
}

async function runBridgeline(cmd: Command): Promise<void> {
  const s = new Settings(cmd, null);
  const transport = pickTransport(s.string('transport'));
  const dir = stateDir(s.string('state'));
  const address = publicAddressWithPort(s.string('public-address'));
  const fp = s.string('fingerprint');
  if (fp !== undefined && !/^[0-9A-Fa-f]{40}$/.test(fp.value)) {
    throw new UsageError('--fingerprint: a relay fingerprint is 40 hex digits');
  }

  try {
    await stat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PtError(
        'ERR_INVALID_STATE',
        `${dir} does not exist; create an identity with "steppe keygen --state ${dir}"`,
      );
    }
    throw new PtError('ERR_INVALID_STATE', `cannot read ${dir}: ${(e as Error).message}`);
  }
  const identity = await readIdentity({ transport, stateDir: dir });
  if (identity === null) {
    throw new PtError(
      'ERR_INVALID_STATE',
      `${dir} holds no ${transport.name} identity; create one with "steppe keygen --state ${dir}"`,
    );
  }
  const a = identity.clientArgs;

  await printIdentity(process.stdout, transport.name, address ?? transport.bridgeAddress?.(a), a, {
    qr: s.bool('qr', false),
    fingerprint: fp?.value.toUpperCase(),
  });
}

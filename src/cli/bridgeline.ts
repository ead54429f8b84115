/**
 * `steppe bridgeline`: prints the bridge line and the share string of an existing server
 * identity without touching it. Transport-neutral and read-only: the transport loads the
 * identity from two private copies of the state directory; if the two yield different client
 * args, there was no identity to load (each copy made up a new one), and nothing is printed.
 */
import { copyFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { PtError } from '../errors.js';
import type { PtArgs, Transport } from '../transports/types.js';
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

/** Loads the identity's client args from a private copy of `dir`. */
async function loadCopy(transport: Transport, dir: string, names: string[]): Promise<PtArgs> {
  const tmp = await mkdtemp(join(tmpdir(), 'steppe-bridgeline-'));
  try {
    for (const n of names) await copyFile(join(dir, n), join(tmp, n));
    // Not closed: nothing was accepted, so the transport has nothing to save.
    const factory = await transport.createServer({ stateDir: tmp });
    return factory.clientArgs;
  } catch (e) {
    // Name the real directory, not the private copy.
    const message = (e as Error).message.split(tmp).join(dir);
    throw new PtError('ERR_INVALID_STATE', message, { cause: e });
  } finally {
    await rm(tmp, { recursive: true, force: true, maxRetries: 5 });
  }
}

function sameArgs(a: PtArgs, b: PtArgs): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || w.length !== v.length || v.some((x, i) => x !== w[i])) return false;
  }
  return true;
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

  let names: string[];
  try {
    const entries = await readdir(dir);
    names = [];
    for (const n of entries) if ((await stat(join(dir, n))).isFile()) names.push(n);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new PtError(
        'ERR_INVALID_STATE',
        `${dir} does not exist; create an identity with "steppe keygen --state ${dir}"`,
      );
    }
    throw new PtError('ERR_INVALID_STATE', `cannot read ${dir}: ${(e as Error).message}`);
  }
  const a = await loadCopy(transport, dir, names);
  const b = await loadCopy(transport, dir, names);
  if (!sameArgs(a, b)) {
    throw new PtError(
      'ERR_INVALID_STATE',
      `${dir} holds no ${transport.name} identity; create one with "steppe keygen --state ${dir}"`,
    );
  }

  await printIdentity(process.stdout, transport.name, address, a, {
    qr: s.bool('qr', false),
    fingerprint: fp?.value.toUpperCase(),
  });
}

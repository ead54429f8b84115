/**
 * Server identities as a library API, without side effects: `createIdentity` makes one in memory,
 * `readIdentity` reads the one in a state directory (or says there is none) without writing,
 * and `writeIdentity` is the one explicit write, which never replaces an identity unless asked.
 * `steppe keygen` and `steppe bridgeline` are these three calls plus printing.
 *
 *   const id = createIdentity({ transport: 'obfs4', options: { 'iat-mode': 0 } });
 *   await writeIdentity('/var/lib/steppe', id);
 *   (await readIdentity({ stateDir: '/var/lib/steppe' }))?.clientArgs.get('cert');
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RandomSource } from './crypto/random.js';
import { InvalidArgsError, PtError } from './errors.js';
import { writeFileAtomic } from './fs/write-atomic.js';
import { builtinRegistry } from './transports/builtins.js';
import { ptArgs, type PtArgs, type Transport, type TransportIdentity } from './transports/types.js';

export interface IdentityOptions {
  /** A transport or its name; default obfs4. */
  readonly transport?: string | Transport;
  /** Server options (as ServerTransportOptions), e.g. { 'iat-mode': 1 }. */
  readonly options?: PtArgs | Readonly<Record<string, string | number>>;
}

function resolve(opts: IdentityOptions): {
  transport: Transport;
  ops: NonNullable<Transport['identity']>;
  options: PtArgs;
} {
  const t = opts.transport ?? 'obfs4';
  const transport = typeof t === 'string' ? builtinRegistry().get(t) : t;
  if (transport === undefined) {
    throw new InvalidArgsError(
      `unknown transport ${JSON.stringify(t)}; steppe has: ${builtinRegistry().names().join(', ')}`,
    );
  }
  if (transport.identity === undefined) {
    throw new InvalidArgsError(`a ${transport.name} server has no identity to create or read`);
  }
  const o = opts.options ?? new Map<string, string[]>();
  const options = o instanceof Map ? (o as PtArgs) : ptArgs(o as Record<string, string | number>);
  return { transport, ops: transport.identity, options };
}

/** A new server identity, in memory only. */
export function createIdentity(
  opts: IdentityOptions & { readonly rng?: RandomSource } = {},
): TransportIdentity {
  const { ops, options } = resolve(opts);
  return ops.create({ options, ...(opts.rng ? { rng: opts.rng } : {}) });
}

/**
 * The identity a server started on `stateDir` would use, or null when it holds none (a server
 * would create one). Writes nothing.
 */
export function readIdentity(
  opts: IdentityOptions & { readonly stateDir: string },
): Promise<TransportIdentity | null> {
  const { ops, options } = resolve(opts);
  return ops.read(opts.stateDir, { options });
}

/** An identity's files that already exist in `stateDir`, sorted. */
export async function existingIdentityFiles(
  stateDir: string,
  identity: TransportIdentity,
): Promise<string[]> {
  const found: string[] = [];
  for (const name of identity.files.keys()) {
    try {
      await stat(join(stateDir, name));
      found.push(name);
    } catch {
      // absent
    }
  }
  return found.sort();
}

/**
 * Writes the identity's files into `stateDir` (created, mode 0700; files 0600, each replaced
 * atomically). Refuses when any of them exists, unless `replace`.
 * @throws PtError('ERR_INVALID_STATE')
 */
export async function writeIdentity(
  stateDir: string,
  identity: TransportIdentity,
  opts: { readonly replace?: boolean } = {},
): Promise<void> {
  const clash = await existingIdentityFiles(stateDir, identity);
  if (clash.length > 0 && opts.replace !== true) {
    throw new PtError(
      'ERR_INVALID_STATE',
      `${stateDir} already holds an identity (${clash.join(', ')})`,
    );
  }
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    for (const [name, content] of identity.files) {
      await writeFileAtomic(join(stateDir, name), content);
    }
  } catch (e) {
    throw new PtError('ERR_INVALID_STATE', `cannot write in ${stateDir}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

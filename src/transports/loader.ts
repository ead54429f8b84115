/**
 * How managed mode gets its transports: tor names the ones it wants in TOR_PT_*_TRANSPORTS, and
 * every module imported at start stays resident for the life of the process, so a loader imports
 * only those. builtin-loader.ts holds every built-in transport, obfs4-loader.ts obfs4 alone (the
 * bundle tor's usual obfs4-only configuration runs: scripts/bundle.mjs).
 */
import { TransportRegistry } from './registry.js';
import type { Transport } from './types.js';

/** What managed mode needs of a registry it builds once it knows the requested transports. */
export interface TransportLoader {
  /** Every transport the loader could provide, for messages. */
  readonly names: readonly string[];
  /** A registry of those of `wanted` that exist; unknown names are left out, not an error. */
  load(wanted: readonly string[]): Promise<TransportRegistry>;
}

/** A loader over transports already in memory (tests, or an embedder's own registry). */
export function registryLoader(registry: TransportRegistry): TransportLoader {
  return { names: registry.names(), load: () => Promise.resolve(registry) };
}

/** A loader over a table of name → import of that transport's module. */
export function importingLoader(
  table: Readonly<Record<string, () => Promise<Transport>>>,
): TransportLoader {
  return {
    names: Object.keys(table),
    async load(wanted: readonly string[]): Promise<TransportRegistry> {
      const names = [...new Set(wanted)].filter((n) => Object.hasOwn(table, n));
      return new TransportRegistry(await Promise.all(names.map((n) => table[n]!())));
    },
  };
}

/**
 * The built-in transports for managed mode, imported on demand: tor names the transports it
 * wants in TOR_PT_*_TRANSPORTS, and every module imported at start stays resident for the life
 * of the process (obfs4's crypto, libsodium and the WebAssembly field code; obfs3's UniformDH and
 * AES). `builtinRegistry()` (builtins.ts) is the eager equivalent for the library and the
 * standalone commands; test/registry.test.ts keeps the two lists equal.
 */
import { TransportRegistry } from './registry.js';
import type { Transport } from './types.js';

const LOADERS: Readonly<Record<string, () => Promise<Transport>>> = {
  obfs4: async () => (await import('./obfs4/index.js')).obfs4Transport,
  obfs3: async () => (await import('./obfs3/index.js')).obfs3Transport,
  obfs2: async () => (await import('./obfs2/index.js')).obfs2Transport,
  scramblesuit: async () => (await import('./scramblesuit/index.js')).scramblesuitTransport,
  webtunnel: async () => (await import('./webtunnel/index.js')).webtunnelTransport,
  dummy: async () => (await import('./dummy/index.js')).dummyTransport,
  b64: async () => (await import('./b64/index.js')).b64Transport,
};

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

export const builtinLoader: TransportLoader = {
  names: Object.keys(LOADERS),
  async load(wanted: readonly string[]): Promise<TransportRegistry> {
    const names = [...new Set(wanted)].filter((n) => Object.hasOwn(LOADERS, n));
    return new TransportRegistry(await Promise.all(names.map((n) => LOADERS[n]!())));
  },
};

/**
 * The built-in transports for managed mode, each imported on demand (loader.ts says why).
 * `builtinRegistry()` (builtins.ts) is the eager equivalent for the library and the standalone
 * commands; test/registry.test.ts keeps the two lists equal.
 */
import { importingLoader } from './loader.js';
import { importObfs4 } from './obfs4-loader.js';

export const builtinLoader = importingLoader({
  obfs4: importObfs4,
  obfs3: async () => (await import('./obfs3/index.js')).obfs3Transport,
  obfs2: async () => (await import('./obfs2/index.js')).obfs2Transport,
  scramblesuit: async () => (await import('./scramblesuit/index.js')).scramblesuitTransport,
  webtunnel: async () => (await import('./webtunnel/index.js')).webtunnelTransport,
  dummy: async () => (await import('./dummy/index.js')).dummyTransport,
  b64: async () => (await import('./b64/index.js')).b64Transport,
});

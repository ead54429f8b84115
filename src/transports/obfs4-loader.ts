/**
 * obfs4 alone, for the bundle bin/steppe runs when tor asks for nothing else (dist/steppe-obfs4.cjs,
 * scripts/bundle.mjs): the other transports' code is then not even parsed, ~0.8 MiB less RSS
 * at start (measured on a managed bridge).
 */
import { importingLoader } from './loader.js';
import type { Transport } from './types.js';

/** obfs4's Transport, imported on demand (builtin-loader.ts uses it too). */
export const importObfs4 = async (): Promise<Transport> =>
  (await import('./obfs4/transport.js')).obfs4Transport;

export const obfs4Loader = importingLoader({ obfs4: importObfs4 });

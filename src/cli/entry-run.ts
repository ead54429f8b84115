/**
 * What bin/steppe runs: managed mode when tor started the process, the command-line tool
 * otherwise. `npm run build` bundles the two entries (entry.ts with every transport,
 * entry-obfs4.ts with obfs4 alone) and everything managed mode imports into CommonJS files under
 * dist/ (scripts/bundle.mjs), because a bridge or a client that tor starts should not pay at start
 * for Node's ES module loader and one module record per source file: that was ~4 MiB of a managed
 * process's 46–50 MiB (issue 12). Subcommands still run the ES modules under dist/src (main.ts),
 * imported here by a computed URL the bundler leaves alone.
 */
import type { TransportLoader } from '../transports/loader.js';
import { runManagedCli } from './managed.js';
import { isManagedInvocation } from './managed-flags.js';

export function runEntry(loader: TransportLoader): void {
  const argv = process.argv.slice(2);
  if (isManagedInvocation(argv, process.env)) {
    // Only the transports tor asks for are initialised (loader.ts).
    void runManagedCli(argv, { registry: loader });
  } else {
    const cli = new URL('./main.js', import.meta.url).href;
    void import(cli);
  }
}

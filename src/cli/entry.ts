/**
 * What bin/steppe runs: managed mode when tor started the process, the command-line tool
 * otherwise. `npm run build` bundles this file and everything managed mode imports into one
 * CommonJS file, dist/steppe.cjs (scripts/bundle.mjs), because a bridge or a client that tor
 * starts should not pay at start for Node's ES module loader and one module record per source
 * file: that alone was ~4 MiB of a managed process's 46–49 MiB (issue 12). Subcommands still run
 * the ES modules under dist/src (main.ts), imported here by a computed URL the bundler leaves
 * alone.
 */
import { builtinLoader } from '../transports/builtin-loader.js';
import { runManagedCli } from './managed.js';
import { isManagedInvocation } from './managed-flags.js';

const argv = process.argv.slice(2);

if (isManagedInvocation(argv, process.env)) {
  // Only the transports tor asks for are initialised (builtin-loader.ts).
  void runManagedCli(argv, { registry: builtinLoader });
} else {
  const cli = new URL('./main.js', import.meta.url).href;
  void import(cli);
}

#!/usr/bin/env node
/**
 * Composition root of the `steppe` command as ES modules. Started by tor with
 * TOR_PT_MANAGED_TRANSPORT_VER in its environment (and usually no arguments) it runs as a managed
 * pluggable transport, like obfs4proxy; otherwise it is a command-line tool with subcommands.
 * bin/steppe comes here for subcommands only: it runs managed mode from the bundle (entry.ts).
 *
 * Modules are imported on the path that needs them: managed mode is what tor starts (often on
 * small routers) and should not pay for the censor bench, the QR encoder or the metrics client.
 */
import { isManagedInvocation } from './managed-flags.js';

const argv = process.argv.slice(2);

if (isManagedInvocation(argv, process.env)) {
  const [{ runManagedCli }, { builtinLoader }] = await Promise.all([
    import('./managed.js'),
    import('../transports/builtin-loader.js'),
  ]);
  await runManagedCli(argv, { registry: builtinLoader });
} else {
  const [{ Command }, { VERSION }, ...commands] = await Promise.all([
    import('commander'),
    import('../version.js'),
    import('./bench-censor.js').then((m) => m.registerBenchCensor),
    import('./probe.js').then((m) => m.registerProbe),
    import('./demo.js').then((m) => m.registerDemo),
    import('./server.js').then((m) => m.registerServer),
    import('./client.js').then((m) => m.registerClient),
    import('./keygen.js').then((m) => m.registerKeygen),
    import('./bridgeline.js').then((m) => m.registerBridgeline),
  ]);
  const program = new Command();
  program
    .name('steppe')
    .description(
      'Pluggable transports of the obfsproxy family (obfs4, obfs3, obfs2, ScrambleSuit, WebTunnel, dummy, b64) for Tor and any TCP application',
    )
    .version(VERSION, '-V, --version');
  // Each subcommand lives in its own module and registers itself here.
  for (const register of commands) register(program);
  await program.parseAsync(process.argv);
}

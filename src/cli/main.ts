#!/usr/bin/env node
/**
 * Composition root of the `steppe` command. Started by tor with TOR_PT_MANAGED_TRANSPORT_VER in
 * its environment (and usually no arguments) it runs as a managed pluggable transport, like
 * obfs4proxy; otherwise it is a command-line tool with subcommands.
 *
 * Modules are imported on the path that needs them: managed mode is what tor starts (often on
 * small routers) and should not pay for the censor bench, the QR encoder or the metrics client.
 */
import { isManagedInvocation, runManagedCli } from './managed.js';

const argv = process.argv.slice(2);

if (isManagedInvocation(argv, process.env)) {
  // Only the transports tor asks for are imported (builtin-loader.ts).
  const { builtinLoader } = await import('../transports/builtin-loader.js');
  const jit = await startWithoutTurbofan();
  await runManagedCli(argv, { registry: builtinLoader });
  // Started (or exiting): connections get the optimising compiler as always.
  jit?.setFlagsFromString('--turbofan');
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

/**
 * Turns V8's optimising compiler off until managed mode has started, unless the node command
 * line sets JIT flags itself. The start resolves a few dozen ES modules, enough for V8 to
 * optimise Node's own URL-to-path helpers, and running TurboFan once faults ~3.7 MiB of the node
 * binary's code into the process (measured: a managed obfs4 client 50.1 → 46.3 MiB). Nothing of the
 * start is worth optimising; hot paths are compiled as before once connections arrive.
 */
async function startWithoutTurbofan(): Promise<typeof import('node:v8') | null> {
  const nodeFlags = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
  if (/--(no-)?(opt|turbofan|jitless|maglev|sparkplug|always-)/.test(nodeFlags)) return null;
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--no-turbofan');
  return v8;
}

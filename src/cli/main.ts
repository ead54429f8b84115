#!/usr/bin/env node
/**
 * Composition root of the `steppe` command. Started by tor with TOR_PT_MANAGED_TRANSPORT_VER in
 * its environment (and usually no arguments) it runs as a managed pluggable transport, like
 * obfs4proxy; otherwise it is a command-line tool with subcommands.
 */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { builtinRegistry } from '../transports/builtins.js';
import { isManagedInvocation, runManagedCli } from './managed.js';
import { registerBenchCensor } from './bench-censor.js';
import { registerProbe } from './probe.js';
import { registerDemo } from './demo.js';
import { registerServer } from './server.js';
import { registerClient } from './client.js';
import { registerKeygen } from './keygen.js';
import { registerBridgeline } from './bridgeline.js';

const program = new Command();
program
  .name('steppe')
  .description(
    'Pluggable transports of the obfsproxy family (obfs4) for Tor and any TCP application',
  )
  .version(VERSION, '-V, --version');

// Each subcommand lives in its own module and registers itself here.
registerBenchCensor(program);
registerProbe(program);
registerDemo(program);
registerServer(program);
registerClient(program);
registerKeygen(program);
registerBridgeline(program);

// Started by tor (TOR_PT_MANAGED_TRANSPORT_VER set, flags only): a managed pluggable transport.
if (isManagedInvocation(process.argv.slice(2), process.env)) {
  await runManagedCli(process.argv.slice(2), { registry: builtinRegistry() });
} else {
  await program.parseAsync(process.argv);
}

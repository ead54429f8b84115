#!/usr/bin/env node
/**
 * Composition root of the `steppe` command. Started by tor with TOR_PT_MANAGED_TRANSPORT_VER in
 * its environment (and usually no arguments) it runs as a managed pluggable transport, like
 * obfs4proxy; otherwise it is a command-line tool with subcommands.
 */
import { Command } from 'commander';
import { VERSION } from '../version.js';

const program = new Command();
program
  .name('steppe')
  .description(
    'Pluggable transports of the obfsproxy family (obfs4) for Tor and any TCP application',
  )
  .version(VERSION, '-V, --version');

// Each subcommand lives in its own module and registers itself here.

await program.parseAsync(process.argv);

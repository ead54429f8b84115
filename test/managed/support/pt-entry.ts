// Managed-mode entry point for tests: steppe's managed machinery with the test-only identity
// transport registered next to the built-in ones. Spawned by the managed tests like tor would.
import { runManagedCli } from '../../../src/cli/managed.js';
import { builtinRegistry } from '../../../src/transports/builtins.js';
import { identityTransport } from './identity-transport.js';

const registry = builtinRegistry();
registry.register(identityTransport);
await runManagedCli(process.argv.slice(2), { registry });

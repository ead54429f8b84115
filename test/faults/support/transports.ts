// Which transports the fault suite runs, and what each needs beyond the defaults to run on
// loopback. Every transport steppe ships is in it unless it says here why not.
import { builtinRegistry } from '../../../src/transports/builtins.js';

/** Standalone `steppe server` flags a transport needs (beyond --transport/--forward/--state). */
const SERVER_FLAGS: Record<string, string[]> = {};
/** TOR_PT_SERVER_TRANSPORT_OPTIONS for the managed server. */
const SERVER_OPTIONS: Record<string, string> = {};
/** Transports that cannot run in this suite, with the reason. */
const EXCLUDED: Record<string, string> = {};

export const FAULT_TRANSPORTS: readonly string[] = builtinRegistry()
  .names()
  .filter((n) => !(n in EXCLUDED));

export function serverFlags(transport: string): string[] {
  return SERVER_FLAGS[transport] ?? [];
}

export function serverOptions(transport: string): string {
  return SERVER_OPTIONS[transport] ?? '';
}

// Runs a one-off computation with V8's optimising compiler switched off.
//
// A managed bridge derives its identity's public key once at start (x25519-ladder.ts, ~2,800
// field multiplications in JavaScript). That is hot enough for V8 to optimise the ladder with
// TurboFan, and running TurboFan once faults ~4.5 MiB of the node binary's compiler code into
// the process (measured: a managed obfs4 bridge 50.4 → 46.0 MB of RSS at start). Unoptimised, the
// derivation takes ~50 ms, once. Node command lines that set JIT flags themselves are respected.
import { setFlagsFromString } from 'node:v8';

const nodeFlags = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
const jitFlagsGiven = /--(no-)?(opt|turbofan|jitless|maglev|sparkplug|always-)/.test(nodeFlags);

export function withoutTurbofan<T>(compute: () => T): T {
  if (jitFlagsGiven) return compute();
  setFlagsFromString('--no-turbofan');
  try {
    return compute();
  } finally {
    setFlagsFromString('--turbofan');
  }
}

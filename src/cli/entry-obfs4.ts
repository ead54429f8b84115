// The entry of dist/steppe-obfs4.cjs, which bin/steppe runs when tor asks for obfs4 alone
// (entry-run.ts, obfs4-loader.ts).
import { obfs4Loader } from '../transports/obfs4-loader.js';
import { runEntry } from './entry-run.js';

runEntry(obfs4Loader);

// The entry of dist/steppe.cjs: every built-in transport (entry-run.ts).
import { builtinLoader } from '../transports/builtin-loader.js';
import { runEntry } from './entry-run.js';

runEntry(builtinLoader);

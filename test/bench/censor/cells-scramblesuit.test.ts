// censors.md §6.4 for ScrambleSuit (steppe's server and client) through every censor; its
// expected cells are obfs4's (src/bench/censor/expected.ts says why).
import { cellTests } from './cells.js';

cellTests(['scramblesuit'], 1);

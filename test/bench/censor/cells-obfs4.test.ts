// censors.md §6.4, the obfs4 rows: steppe's obfs4 with iat-mode 0, 1 and 2 through every censor.
import { cellTests } from './cells.js';

cellTests(['obfs4-iat0', 'obfs4-iat1', 'obfs4-iat2'], 3);

// censors.md §6.4, the obfs3 and obfs2 rows: steppe's pair through every censor (obfs2 falls to
// the obfs2-magic decoder; both are confirmed by the active prober). The obfs4proxy rows
// (obfs4proxy-obfs3/-obfs2) are in the bench but, as for obfs4, not here: their client picks
// its own source address, so the gfw-fet-2023 residual cannot be checked.
import { cellTests } from './cells.js';

cellTests(['obfs3', 'obfs2'], 2);

import type { CellResult, MatrixReport } from '../matrix.js';
import { CODE_MEANING, codeLabel } from './legend.js';

export interface TableOptions {
  /** ANSI colours (a TTY). */
  readonly color?: boolean;
}

const ANSI: Readonly<Record<string, string>> = {
  P: '\x1b[32m',
  S: '\x1b[32m',
  B: '\x1b[31m',
  D: '\x1b[35m',
  I: '\x1b[33m',
  p26: '\x1b[33m',
  '~': '\x1b[33m',
  error: '\x1b[31m',
};
const RESET = '\x1b[0m';

/**
 * The text of a cell in the table: the code ("B 26%" for blocking at a measured rate), and "!"
 * when it contradicts censors.md §6.4.
 */
export function cellText(c: CellResult): string {
  let base: string = c.code;
  if (c.rate && c.code !== 'P') {
    const pct = `${((100 * c.rate.blocked) / c.rate.n).toFixed(0)}%`;
    base = c.code === 'p26' ? `B ${pct}` : `${c.code} ${pct}`;
  }
  return c.matches === false ? `${base}!` : base;
}

function pad(s: string, n: number): string {
  return s + ' '.repeat(Math.max(0, n - s.length));
}

/** The transport × censor matrix as a fixed-width table for a terminal. */
export function renderTable(r: MatrixReport, o: TableOptions = {}): string {
  const rows = r.rows.filter((x) => x.skipped === undefined);
  const cols = r.columns;
  const byKey = new Map(r.cells.map((c) => [`${c.row}|${c.column}`, c]));
  const rowW = Math.max(10, ...rows.map((x) => x.id.length)) + 2;
  const widths = cols.map((c) => Math.max(c.label.length, 6) + 2);
  const lines: string[] = [];
  lines.push(pad('', rowW) + cols.map((c, i) => pad(c.label, widths[i]!)).join(''));
  for (const row of rows) {
    let line = pad(row.id, rowW);
    cols.forEach((col, i) => {
      const c = byKey.get(`${row.id}|${col.id}`);
      const text = c ? cellText(c) : '-';
      const cell = pad(text, widths[i]!);
      line += o.color && c ? `${ANSI[c.code] ?? ''}${cell}${RESET}` : cell;
    });
    lines.push(line.trimEnd());
  }
  for (const s of r.rows.filter((x) => x.skipped !== undefined))
    lines.push(`${pad(s.id, rowW)}skipped: ${s.skipped}`);
  const used = new Set(r.cells.map((c) => c.code));
  lines.push('');
  lines.push(
    [...used]
      .filter((c) => CODE_MEANING[c])
      .map((c) => `${codeLabel(c)} = ${CODE_MEANING[c]}`)
      .join('; '),
  );
  const mismatches = r.cells.filter((c) => c.matches === false);
  lines.push(
    mismatches.length === 0
      ? `Every cell with a definite code in censors.md §6.4 matches (${r.cells.filter((c) => c.matches === true).length} cells).`
      : `${mismatches.length} cell(s) differ from censors.md §6.4 (marked "!"): ${mismatches.map((c) => `${c.row} × ${c.column}`).join(', ')}`,
  );
  const crashed = r.cells.filter((c) => c.peerCrashes?.length);
  if (crashed.length > 0) {
    lines.push(
      `${crashed.length} cell(s) measured again because a peer of the row crashed (not the censor):`,
    );
    for (const c of crashed) lines.push(`  ${c.row} × ${c.column}: ${c.peerCrashes?.join('; ')}`);
  }
  return lines.join('\n');
}

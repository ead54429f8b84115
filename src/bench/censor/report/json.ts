import type { MatrixReport } from '../matrix.js';

/** The report as JSON: settings, rows, columns and every cell with its evidence. */
export function toJson(r: MatrixReport): string {
  return JSON.stringify({ format: 'steppe-censor-bench/1', ...r }, null, 2) + '\n';
}

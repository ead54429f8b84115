import type { CellResult, MatrixReport } from '../matrix.js';
import { CODE_MEANING, codeLabel } from './legend.js';
import { cellText } from './terminal.js';

function esc(s: unknown): string {
  return String(s)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** CSS class of a cell code ("~" is not a friendly class name). */
const cls = (code: string): string =>
  code === '~' ? 'c-deg' : `c-${code.replace(/[^A-Za-z0-9]/g, '')}`;

const anchor = (row: string, col: string): string =>
  `cell-${row}--${col}`.replace(/[^A-Za-z0-9_-]/g, '_');

const STYLE = `
:root { --p:#1f8a4c; --b:#c0392b; --d:#8e44ad; --i:#d68910; --w:#b9770e; --bg:#fbfbfa; --fg:#1d1d1f; --mut:#6b6b70; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0; padding: 24px 32px 64px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 32px 0 8px; } h3 { font-size: 15px; margin: 0 0 6px; }
.meta { color: var(--mut); margin-bottom: 18px; }
table.matrix { border-collapse: separate; border-spacing: 3px; }
.matrix th { font-weight: 600; font-size: 12px; color: #333; padding: 4px 6px; text-align: center; vertical-align: bottom; }
.matrix th.row { text-align: right; white-space: nowrap; }
.matrix td { padding: 0; }
.matrix td a { display: block; min-width: 64px; padding: 7px 8px; border-radius: 6px; text-align: center; font-weight: 700; color: #fff; text-decoration: none; }
.c-P, .c-S { background: var(--p); } .c-B, .c-error { background: var(--b); } .c-D { background: var(--d); }
.c-I { background: var(--i); } .c-p26, .c-deg { background: var(--w); } .c-na { background: #bbb; }
.mismatch { outline: 3px solid #111; }
.legend span { display: inline-block; margin: 4px 14px 0 0; } .legend b { display: inline-block; width: 14px; height: 14px; border-radius: 3px; vertical-align: -2px; margin-right: 5px; }
section.cell { background: #fff; border: 1px solid #e3e3e0; border-radius: 8px; padding: 14px 16px; margin: 12px 0; }
section.cell:target { border-color: #333; box-shadow: 0 0 0 3px #ccd; }
.why { margin: 4px 0 8px; } .kv { color: var(--mut); font-size: 13px; }
table.log { border-collapse: collapse; width: 100%; font-size: 12px; margin-top: 8px; }
.log th, .log td { border-top: 1px solid #eee; padding: 4px 6px; text-align: left; vertical-align: top; }
.log td.ev { font-family: ui-monospace, Menlo, monospace; word-break: break-all; }
code { font-family: ui-monospace, Menlo, monospace; font-size: 12px; }
`;

function cellSection(c: CellResult, rowLabel: string, colLabel: string): string {
  const facts: string[] = [
    `sessions: ${c.attempts.ok} ok, ${c.attempts.failed} failed`,
    `expected (censors.md §6.4): ${c.expected ?? 'none'}${c.matches === false ? ' — differs' : ''}`,
    `${c.durationMs} ms`,
  ];
  if (c.rate) {
    facts.push(
      `blocked ${c.rate.blocked}/${c.rate.n} (censor log: ${c.rate.censorBlocked}); ${+(100 * (c.rate.confidence ?? 0.99)).toFixed(3)}% interval for p = ${c.rate.p}: ${c.rate.interval[0]}–${c.rate.interval[1]}`,
    );
    if (c.rate.residual) facts.push(`residual: ${c.rate.residual.detail}`);
  }
  if (c.prober)
    facts.push(
      `prober verdict ${c.prober.code}: ${c.prober.reasons.join('; ') || 'nothing distinguishing'}`,
    );
  if (c.attempts.failures.length) facts.push(`client errors: ${c.attempts.failures.join('; ')}`);
  if (c.peerCrashes?.length) facts.push(...c.peerCrashes);
  const rows = c.evidence
    .map(
      (e) =>
        `<tr><td>${esc(e.flowId)}</td><td>${esc(e.direction)}</td><td>${esc(e.model)}</td><td>${esc(e.rule)}</td><td>${esc(e.verdict)}/${esc(e.action)}</td><td class="ev">${esc(JSON.stringify(e.evidence))}${e.p === undefined ? '' : esc(` p=${e.p} draw=${e.rngDraw}`)}</td></tr>`,
    )
    .join('');
  return `<section class="cell" id="${anchor(c.row, c.column)}">
<h3>${esc(rowLabel)} × ${esc(colLabel)}: <span class="${cls(c.code)}" style="padding:1px 8px;border-radius:4px;color:#fff">${esc(cellText(c))}</span></h3>
<div class="why">${esc(c.why)}</div>
<div class="kv">${facts.map(esc).join('<br>')}</div>
${rows ? `<table class="log"><thead><tr><th>flow</th><th>dir</th><th>model</th><th>rule</th><th>verdict</th><th>evidence</th></tr></thead><tbody>${rows}</tbody></table>` : ''}
</section>`;
}

/** A self-contained HTML page (no external resources): the matrix and each cell's evidence. */
export function renderHtml(r: MatrixReport, title = 'steppe censor bench'): string {
  const rows = r.rows.filter((x) => x.skipped === undefined);
  const byKey = new Map(r.cells.map((c) => [`${c.row}|${c.column}`, c]));
  const head = `<tr><th></th>${r.columns.map((c) => `<th title="${esc(c.source)}">${esc(c.label)}</th>`).join('')}</tr>`;
  const body = rows
    .map((row) => {
      const tds = r.columns
        .map((col) => {
          const c = byKey.get(`${row.id}|${col.id}`);
          if (!c) return '<td><a class="c-na">–</a></td>';
          return `<td><a href="#${anchor(row.id, col.id)}" class="${cls(c.code)}${c.matches === false ? ' mismatch' : ''}" title="${esc(c.why)}" data-code="${esc(c.code)}">${esc(cellText(c))}</a></td>`;
        })
        .join('');
      return `<tr><th class="row" title="${esc(row.description ?? '')}">${esc(row.label)}</th>${tds}</tr>`;
    })
    .join('\n');
  const skipped = r.rows
    .filter((x) => x.skipped !== undefined)
    .map((x) => `<li>${esc(x.label)}: ${esc(x.skipped)}</li>`)
    .join('');
  const used = [...new Set(r.cells.map((c) => c.code))];
  const legend = used
    .map(
      (c) =>
        `<span><b class="${cls(c)}"></b>${esc(codeLabel(c))}: ${esc(CODE_MEANING[c] ?? c)}</span>`,
    )
    .join('');
  const colLabel = new Map(r.columns.map((c) => [c.id, c.label]));
  const rowLabel = new Map(r.rows.map((x) => [x.id, x.label]));
  const sections = r.cells
    .map((c) => cellSection(c, rowLabel.get(c.row) ?? c.row, colLabel.get(c.column) ?? c.column))
    .join('\n');
  const sources = r.columns
    .map((c) => `<li><b>${esc(c.label)}</b>: ${esc(c.source)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(title)}: transport × censor</h1>
<div class="meta">Generated ${esc(r.generatedAt)} · seed ${esc(r.seed)} · time scale ${esc(r.timeScale)} · ${esc(r.settings.attempts)} sessions per cell, ${esc(r.settings.flows)} flows per probabilistic cell, ${esc(r.settings.timeoutMs)} ms stall timeout · ${esc(Math.round(r.durationMs / 1000))} s. Every cell was measured by running the traffic through the censor on loopback; click a cell for its evidence.</div>
<table class="matrix" id="matrix"><thead>${head}</thead><tbody>
${body}
</tbody></table>
<div class="legend">${legend}</div>
${skipped ? `<h2>Skipped rows</h2><ul>${skipped}</ul>` : ''}
<h2>Censors</h2><ul>${sources}</ul>
<h2>Evidence per cell</h2>
${sections}
</body></html>
`;
}

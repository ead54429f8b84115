// The HTML report in a real headless browser (Debian's chromium through playwright-core): the
// matrix renders with a row per transport and a cell per censor, cells are coloured by outcome
// in the actual screenshot, and a cell links to its evidence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { runMatrix } from '../../../src/bench/censor/matrix.js';
import { columnById } from '../../../src/bench/censor/columns.js';
import { rowById } from '../../../src/bench/censor/traffic/index.js';
import { renderHtml } from '../../../src/bench/censor/report/html.js';
import { decodePng } from './png.js';

const CHROMIUM = process.env.STEPPE_CHROMIUM ?? '/usr/bin/chromium';

test('the HTML report renders the measured matrix in chromium', async (t) => {
  try {
    await access(CHROMIUM);
  } catch {
    if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is missing (apt-get install chromium)`);
    t.skip(`${CHROMIUM} is missing`);
    return;
  }
  const report = await runMatrix({
    rows: ['obfs4-iat0', 'tor-tls12'].map((id) => rowById(id)!),
    columns: ['kz-2012-tor-sh', 'gfw-fet-2023', 'entropy-first-packet'].map((id) =>
      columnById(id)!,
    ),
    flows: 40,
    timeoutMs: 1500,
    parallel: 2,
  });
  const dir = await mkdtemp(join(tmpdir(), 'steppe-report-'));
  const file = join(dir, 'report.html');
  const html = renderHtml(report);
  await writeFile(file, html);
  // Self-contained: nothing is fetched from anywhere.
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=["']https?:/i);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file:')),
      [],
    );
    assert.equal(await page.locator('#matrix tbody tr').count(), 2);
    assert.equal(await page.locator('#matrix tbody td a').count(), 6);
    assert.deepEqual(await page.locator('#matrix thead th').allTextContents(), [
      '',
      'kz-2012 tor-SH',
      'gfw-fet-2023',
      'entropy-first-pkt',
    ]);

    const cell = (row: number, col: number) =>
      page.locator(`#matrix tbody tr:nth-child(${row}) td:nth-child(${col + 1}) a`);
    // obfs4 passes kz-2012 and is blocked by the entropy test; Tor's TLS is blocked by kz-2012.
    assert.equal(await cell(1, 1).textContent(), 'P');
    assert.equal(await cell(1, 3).textContent(), 'B');
    assert.equal(await cell(2, 1).textContent(), 'B');
    assert.match((await cell(1, 2).textContent()) ?? '', /^B \d+%$/);

    const shot = await page.screenshot({ fullPage: false });
    await writeFile(join(dir, 'report.png'), shot);
    t.diagnostic(`screenshot: ${join(dir, 'report.png')}`);
    const img = decodePng(shot);
    assert.equal(img.width, 1100);
    const colourAt = async (row: number, col: number) => {
      const box = (await cell(row, col).boundingBox())!;
      // A point inside the badge, off the text.
      return img.pixel(box.x + 4, box.y + 4);
    };
    const [pr, pg, pb] = await colourAt(1, 1);
    assert.ok(pg > pr + 40 && pg > pb + 20, `pass cell should be green, got ${pr},${pg},${pb}`);
    const [br, bg, bb] = await colourAt(2, 1);
    assert.ok(br > bg + 60 && br > bb + 60, `blocked cell should be red, got ${br},${bg},${bb}`);

    // A cell links to its evidence, which names the rule that decided.
    await cell(2, 1).click();
    const target = page.locator('section.cell:target');
    assert.equal(await target.count(), 1);
    assert.match((await target.textContent()) ?? '', /torCertNames/);
  } finally {
    await browser.close();
  }
});

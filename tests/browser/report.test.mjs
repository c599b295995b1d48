// The export's report page in a real browser (headless Debian Chromium driven by playwright-core):
// axe-core finds no accessibility violation, every chart has its data table beside it, and the
// page prints. scripts/test-browser runs `complaints export` on the form test's data and sets:
//
//   REPORT_HTML     the report.html to check
//   ARTIFACTS_DIR   where screenshots go (git-ignored)
//   DOCS_SCREENSHOT optional: also save the report's charts section here (for docs/export.md)

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { ARTIFACTS_DIR, AXE_PATH as AXE, runTests } from './harness.mjs';

const REPORT_HTML = process.env.REPORT_HTML;

const tests = [
  ['the report has no axe-core violations', async (page) => {
    await page.addScriptTag({ path: AXE });
    const result = await page.evaluate(async () => await window.axe.run(document));
    const found = result.violations.map((v) => `${v.id}: ${v.nodes.length} node(s) – ${v.help}`);
    assert.deepEqual(found, [], 'axe-core violations');
    assert.ok(result.passes.length > 0, 'axe-core ran its rules');
  }],
  ['every chart names a data table that sits beside it', async (page) => {
    const charts = await page.$$eval('svg[role="img"]', (svgs) => svgs.map((svg) => ({
      table: svg.getAttribute('data-table'),
      inPair: Boolean(svg.closest('.pair')?.querySelector(`table#${svg.getAttribute('data-table')}`)),
      labelled: Boolean(svg.querySelector('title') && svg.querySelector('desc')),
    })));
    assert.ok(charts.length >= 2, `charts found: ${charts.length}`);
    for (const chart of charts) {
      assert.ok(chart.inPair && chart.labelled, `chart with table ${chart.table}`);
    }
  }],
  ['the report prints', async (page) => {
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ format: 'A4' });
    assert.ok(pdf.length > 10000, `pdf of ${pdf.length} bytes`);
    await page.emulateMedia({ media: 'screen' });
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'report.png'), fullPage: true });
    if (process.env.DOCS_SCREENSHOT) {
      await page.locator('#charts').screenshot({ path: process.env.DOCS_SCREENSHOT });
    }
  }],
];

if (!REPORT_HTML || !existsSync(REPORT_HTML)) {
  console.error(`browser: REPORT_HTML ${REPORT_HTML} is missing (run scripts/test-browser)`);
  console.log(`browser: 0 passed, ${tests.length} failed`);
  process.exit(1);
}
await runTests(tests, {
  contextOptions: { viewport: { width: 1100, height: 1400 } },
  open: (page) => page.goto(pathToFileURL(REPORT_HTML).href),
});

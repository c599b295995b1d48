// End-to-end test of the citizen web form in a real browser (headless Debian Chromium driven by
// playwright-core). scripts/test-browser starts `complaints serve` and sets the variables below.
//
//   BASE_URL        the running server, e.g. http://127.0.0.1:41234
//   DATA_DIR        its data directory (to check the mail folder and run `complaints case show`)
//   COMPLAINTS_BIN  the `complaints` binary
//   ARTIFACTS_DIR   where screenshots go (git-ignored)
//   DOCS_SCREENSHOT optional: also save the blank form here (for the README)

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ARTIFACTS_DIR, required, runTests } from './harness.mjs';

const BASE_URL = required('BASE_URL');
const DATA_DIR = required('DATA_DIR');
const COMPLAINTS_BIN = required('COMPLAINTS_BIN');

async function fillComplaint(page, { email }) {
  await page.fill('#name', 'Jo Bloggs');
  if (email) await page.fill('#email', email);
  await page.check('#contact_method');
  await page.getByLabel('Roads, parking and transport').check();
  await page.fill('#description', 'The pothole outside number 12 has been there since June. <b>Not bold</b>');
  // Separate day, month and year boxes (the GOV.UK date pattern), so no locale date picker.
  await page.fill('#event_date_day', '2');
  await page.fill('#event_date_month', '6');
  await page.fill('#event_date_year', '2026');
  await page.fill('#outcome', 'Fill the pothole.');
  await page.getByLabel('No, this is my own complaint').check();
}

const tests = [
  ['the form shows every question with a label and works from the keyboard', async (page) => {
    await page.goto(`${BASE_URL}/`);
    assert.equal(await page.title(), 'Make a complaint – Example Council');
    for (const label of ['Full name', 'Email address', 'What happened?', 'Day']) {
      assert.ok(await page.getByLabel(label).first().isVisible(), `label ${label}`);
    }
    // The first Tab reaches the skip link, which is shown when focused.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to main content');
    // The honeypot is not reachable by people.
    assert.equal(await page.getAttribute('#website', 'tabindex'), '-1');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'form.png'), fullPage: true });
    if (process.env.DOCS_SCREENSHOT) {
      await page.keyboard.press('Escape');
      await page.evaluate(() => document.activeElement?.blur());
      await page.screenshot({ path: process.env.DOCS_SCREENSHOT, fullPage: true });
    }
    // The questions about someone else show only once Yes is chosen (CSS only, no script).
    const theirName = page.getByLabel('Their full name');
    assert.equal(await theirName.isVisible(), false, 'hidden until Yes is chosen');
    await page.getByLabel('Yes', { exact: true }).check();
    assert.ok(await theirName.isVisible(), 'shown once Yes is chosen');
    await page.getByLabel('No, this is my own complaint').check();
    assert.equal(await theirName.isVisible(), false, 'hidden again after No');
  }],

  ['a complaint sent from the form is confirmed, stored and acknowledged', async (page) => {
    await page.goto(`${BASE_URL}/`);
    await fillComplaint(page, { email: 'jo@example.org' });
    await page.getByRole('button', { name: 'Send complaint' }).click();
    await page.getByRole('heading', { name: 'Complaint received' }).waitFor();
    const reference = (await page.textContent('#reference')).trim();
    const due = (await page.textContent('#response-due')).trim();
    assert.match(reference, /^CMP-\d{4}-\d{5}$/);
    assert.match(due, /^(Monday|Tuesday|Wednesday|Thursday|Friday) \d{1,2} [A-Z][a-z]+ \d{4}$/);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'confirmation.png'), fullPage: true });

    const shown = JSON.parse(execFileSync(COMPLAINTS_BIN, ['case', 'show', reference, '--data-dir', DATA_DIR, '--json'], { encoding: 'utf8' }));
    assert.equal(shown.case.reference, reference);
    assert.equal(shown.case.complaint.channel, 'web-form');
    assert.equal(shown.case.complaint.service_area, 'Roads, parking and transport');
    assert.equal(shown.case.complaint.description, 'The pothole outside number 12 has been there since June. <b>Not bold</b>');
    const dueIso = await page.getAttribute('#response-due time', 'datetime');
    assert.ok(JSON.stringify(shown.case).includes(dueIso), 'the stored case has the due date shown');

    const mailDir = join(DATA_DIR, 'mail');
    const messages = readdirSync(mailDir).filter((f) => f.endsWith('.eml') && f.includes(reference.toLowerCase()));
    assert.equal(messages.length, 1, `one acknowledgement for ${reference}`);
    const eml = readFileSync(join(mailDir, messages[0]), 'utf8');
    assert.match(eml, /^To: .*jo@example\.org/m);

    // The dev sent-mail page lists it and shows it as text.
    await page.goto(`${BASE_URL}/mail`);
    await page.getByRole('link', { name: new RegExp(reference) }).click();
    await page.getByText('jo@example.org').first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'sent-mail-message.png'), fullPage: true });
  }],

  ['a form without an email address shows the error summary and keeps the answers', async (page) => {
    await page.goto(`${BASE_URL}/`);
    await fillComplaint(page, { email: '' });
    await page.getByRole('button', { name: 'Send complaint' }).click();
    const summary = page.locator('.error-summary');
    await summary.waitFor();
    assert.ok((await page.title()).startsWith('Error: '));
    // Focus moves to the summary on load (no script needed), so it is read out first.
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'error-summary');
    const link = summary.getByRole('link', { name: 'Enter your email address' });
    assert.equal(await link.getAttribute('href'), '#email');
    assert.equal(await page.inputValue('#name'), 'Jo Bloggs');
    assert.equal(await page.inputValue('#description'), 'The pothole outside number 12 has been there since June. <b>Not bold</b>');
    assert.ok(await page.isChecked('#contact_method'));
    assert.equal(await page.getAttribute('#email', 'aria-invalid'), 'true');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'error-summary.png'), fullPage: true });
    await link.click();
    assert.ok(page.url().endsWith('#email'));
  }],

  ['on a phone the form fits the screen and an answer that is too long is sent back to be shortened', async (page) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE_URL}/`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, 'no sideways scrolling at 390px');
    await fillComplaint(page, { email: 'jo@example.org' });
    await page.fill('#description', 'x'.repeat(10001));
    await page.getByRole('button', { name: 'Send complaint' }).click();
    await page.locator('.error-summary').getByRole('link', { name: 'What happened must be 10,000 characters or fewer' }).waitFor();
    assert.equal(await page.inputValue('#name'), 'Jo Bloggs');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'phone-error.png'), fullPage: true });
  }],
];

await runTests(tests, { contextOptions: { viewport: { width: 900, height: 900 } }, failureShots: true });

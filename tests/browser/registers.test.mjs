// The staff workspace's registers in a real browser (headless Debian Chromium driven by
// playwright-core): the learning register, SPSO referrals, items flagged for staff and the quality
// check, each checked with axe-core (WCAG 2.2 A and AA) at 375 px and at desktop width, with no
// sideways scrolling on a phone; and the forms used as staff use them (an error summary, then a
// change). Run after workspace.test.mjs on the same server, it finds that test's case in the
// quality check's sample and reviews it; on a server with no cases it checks the empty pages.
//
//   BASE_URL        the running server
//   HANDLER, MANAGER   user names; PASSWORD their password
//   ARTIFACTS_DIR   where screenshots go (git-ignored)

import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ARTIFACTS_DIR, accessible as axeCheck, runScenario, signIn as harnessSignIn, staffEnv } from './harness.mjs';

const { baseUrl: BASE_URL, handler: HANDLER, manager: MANAGER, password: PASSWORD } = staffEnv();
const checked = [];

/** axe-core at a phone's width and at desktop width; no sideways scrolling on the phone. */
const accessible = (page, what) => axeCheck(page, what, checked);

const signIn = (page, user) => harnessSignIn(page, { baseUrl: BASE_URL, user, password: PASSWORD });

async function nav(page, label, heading) {
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: label }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

async function registers(browser) {
  const managerContext = await browser.newContext();
  const manager = await managerContext.newPage();
  await signIn(manager, MANAGER);

  // A case to link learning to: the newest in the case list, if there is one.
  await manager.goto(`${BASE_URL}/staff/cases?status=stage2-closed`);
  const links = await manager.locator('main a').allInnerTexts();
  const reference = links.find((text) => /^[A-Z][A-Z0-9]*-\d{4}-\d{5}$/.test(text.trim()))?.trim() ?? 'CMP-2026-00001';

  // The learning register: the error summary, then an action added and listed.
  await nav(manager, 'Learning actions', 'Learning actions');
  await accessible(manager, 'learning register');
  await manager.getByRole('button', { name: 'Add the learning action' }).click();
  await manager.locator('.error-summary').waitFor();
  await accessible(manager, 'learning register with errors');
  assert.equal(await manager.getByRole('link', { name: 'Enter the root cause' }).getAttribute('href'), '#root_cause',
    'each problem links to its field');
  await manager.getByLabel('Root cause').fill('Route sheets were not updated after the route change');
  await manager.getByLabel('What will be done').fill('Reissue route sheets and check them each quarter');
  await manager.getByLabel('Owner').fill('Waste Services manager');
  await manager.getByLabel('Due date').fill('2099-12-31');
  await manager.getByLabel('Case references').fill(reference);
  await manager.getByRole('button', { name: 'Add the learning action' }).click();
  await manager.getByRole('status').filter({ hasText: 'The learning action was added.' }).waitFor();
  await manager.getByRole('cell', { name: 'Reissue route sheets and check them each quarter' }).first().waitFor();
  await accessible(manager, 'learning register with an action');
  await manager.screenshot({ path: join(ARTIFACTS_DIR, 'registers-learning.png'), fullPage: true });

  await nav(manager, 'SPSO referrals', 'SPSO referrals');
  await accessible(manager, 'SPSO referrals');

  await nav(manager, 'Flagged', 'Flagged for staff');
  // All three sources in one place: the flag register, social items and held email (empty or not).
  await manager.getByRole('heading', { name: /^Social messages kept for staff \(\d+/, level: 2 }).waitFor();
  await manager.getByRole('heading', { name: /^Email kept without a case \(\d+/, level: 2 }).waitFor();
  await accessible(manager, 'flagged for staff');

  // The quality check: review the first closure offered, if any.
  await nav(manager, 'Quality check', 'Quality check of closed complaints');
  await accessible(manager, 'quality check');
  const review = manager.getByRole('link', { name: /^Review / });
  if (await review.count() > 0) {
    await review.first().click();
    await manager.getByRole('heading', { name: /^Quality review:/, level: 1 }).waitFor();
    await accessible(manager, 'quality review form');
    await manager.getByRole('button', { name: 'Record the review' }).click();
    await manager.locator('.error-summary').waitFor();
    await accessible(manager, 'quality review form with errors');
    for (const fieldset of await manager.locator('main fieldset').all()) {
      await fieldset.getByLabel('Yes', { exact: true }).check();
    }
    await manager.getByRole('button', { name: 'Record the review' }).click();
    await manager.getByRole('status').filter({ hasText: 'The review was recorded.' }).waitFor();
    await manager.getByText('Reviewed', { exact: true }).first().waitFor();
    await accessible(manager, 'quality check with a review');
    await manager.screenshot({ path: join(ARTIFACTS_DIR, 'registers-quality.png'), fullPage: true });
  }

  // A handler sees the registers but is offered no quality review.
  const handlerContext = await browser.newContext();
  const handler = await handlerContext.newPage();
  await signIn(handler, HANDLER);
  await nav(handler, 'Quality check', 'Quality check of closed complaints');
  assert.equal(await handler.getByRole('link', { name: /^Review / }).count(), 0, 'handlers are not second readers');
  await handlerContext.close();
  await managerContext.close();
}

await runScenario('the registers', 'registers', async (browser) => {
  await registers(browser);
  return `the registers work in the browser (axe-core clean on ${checked.length} pages)`;
});

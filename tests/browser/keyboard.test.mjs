// The staff workspace's main path by keyboard alone, in a real browser (headless Debian Chromium
// driven by playwright-core): sign in, the dashboard, a case, and one action form from its error
// summary to the confirmed letter, pressing only Tab, Enter and typing. At every stop the focused
// element must show a focus indicator; the skip link must be the first stop; an error summary
// must take the focus when the page opens, and its links must move the focus to their field.
// scripts/test-browser runs it after the registers test on the same server and sets:
//
//   BASE_URL        the running server
//   HANDLER         a handler's user name; PASSWORD their password (MANAGER is not used)
//   ARTIFACTS_DIR   where screenshots go (git-ignored)

import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ARTIFACTS_DIR, runScenario, staffEnv } from './harness.mjs';

const { baseUrl: BASE_URL, handler: HANDLER, password: PASSWORD } = staffEnv();
/** More Tab presses than any page needs to reach what it is after. */
const MAX_TABS = 400;

/** What has the focus: its tag, id, text, and whether a focus indicator is drawn around it. */
function focused(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    if (!e || e === document.body) return { tag: 'body', id: '', text: '', classes: '', visible: false };
    const style = getComputedStyle(e);
    const transparent = (colour) => colour === 'transparent' || /rgba\(.*,\s*0\)$/.test(colour);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 && !transparent(style.outlineColor);
    const visible = outline || style.boxShadow !== 'none';
    return {
      tag: e.tagName.toLowerCase(),
      id: e.id,
      text: (e.textContent ?? '').trim().replace(/\s+/g, ' '),
      classes: e.className,
      visible,
    };
  });
}

/**
 * Presses Tab until `wanted(focus)` holds; every element passed on the way must show its focus.
 * Returns the number of presses.
 */
async function tabTo(page, wanted, what) {
  for (let presses = 1; presses <= MAX_TABS; presses += 1) {
    await page.keyboard.press('Tab');
    const focus = await focused(page);
    if (focus.tag !== 'body') {
      assert.ok(focus.visible, `the focus is visible on <${focus.tag} id="${focus.id}"> "${focus.text.slice(0, 40)}" on the way to ${what}`);
    }
    if (wanted(focus)) return presses;
  }
  return assert.fail(`${what} was not reached in ${MAX_TABS} presses of Tab`);
}

/** An error summary has the focus; Tab then Enter on its first link moves the focus to `field`. */
async function errorSummaryLeadsTo(page, field, what) {
  const focus = await focused(page);
  assert.match(focus.classes, /error-summary/, `the error summary has the focus on ${what}`);
  await tabTo(page, (f) => f.tag === 'a', `the first link of the error summary on ${what}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => document.activeElement?.id === id, field);
}

/** A citizen's complaint (set-up, not under test: the form test covers the citizen's keyboard). */
async function complaint(browser) {
  const context = await browser.newContext({ locale: 'en-GB' });
  const citizen = await context.newPage();
  await citizen.goto(`${BASE_URL}/`);
  await citizen.fill('#name', 'Keir Keyboard');
  await citizen.fill('#email', 'keir.keyboard@example.net');
  await citizen.check('#contact_method');
  await citizen.getByLabel('Roads, parking and transport').check();
  await citizen.fill('#description', 'The pavement on Mill Lane is broken and I use a wheelchair.');
  await citizen.fill('#outcome', 'Repair the pavement.');
  await citizen.getByLabel('No, this is my own complaint').check();
  await citizen.getByRole('button', { name: 'Send complaint' }).click();
  await citizen.getByRole('heading', { name: 'Complaint received' }).waitFor();
  const reference = (await citizen.textContent('#reference')).trim();
  await context.close();
  return reference;
}

async function keyboardOnly(browser) {
  const reference = await complaint(browser);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);

  // Sign in: the skip link first; a blank form's error summary takes the focus and leads to the box.
  await page.goto(`${BASE_URL}/staff/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).text, 'Skip to main content', 'the skip link is the first stop');
  await tabTo(page, (f) => f.id === 'username', 'the user name box');
  await page.keyboard.press('Enter');
  await page.locator('.error-summary').waitFor();
  await errorSummaryLeadsTo(page, 'username', 'the sign-in page');
  await page.keyboard.type(HANDLER);
  await tabTo(page, (f) => f.id === 'password', 'the password box');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();

  // The dashboard: the skip link moves the focus to the main content, then Tab reaches the case.
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).text, 'Skip to main content', 'the skip link is the first stop on the dashboard');
  await page.keyboard.press('Enter');
  assert.equal((await focused(page)).id, 'main', 'the skip link moves the focus to the main content');
  const toCase = await tabTo(page, (f) => f.tag === 'a' && f.text === reference, `the link to ${reference}`);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: new RegExp(reference), level: 1 }).waitFor();

  // The case page: Tab reaches the stage 1 response form.
  const title = 'Record the stage 1 response';
  await tabTo(page, (f) => f.tag === 'a' && f.text === title, `the link to "${title}"`);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: title, level: 1 }).waitFor();

  // The form, sent blank: its error summary has the focus and leads to the first question.
  await tabTo(page, (f) => f.tag === 'button' && f.text === 'Continue', 'Continue');
  await page.keyboard.press('Enter');
  await page.locator('.error-summary').waitFor();
  await errorSummaryLeadsTo(page, 'outcome', `the ${title} form`);
  // A closed select takes type-ahead: R for "Resolved (R32)".
  await page.keyboard.press('R');
  assert.equal(await page.locator('#outcome').inputValue(), 'resolved', 'the outcome chosen by typing');
  await tabTo(page, (f) => f.id === 'note', 'the response box');
  const response = 'We have repaired the pavement on Mill Lane.';
  await page.keyboard.type(response);
  await tabTo(page, (f) => f.tag === 'button' && f.text === 'Continue', 'Continue');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: `Check before you confirm: ${title}` }).waitFor();
  assert.ok((await page.locator('main').innerText()).includes(response), 'the preview carries the response');
  await tabTo(page, (f) => f.tag === 'button' && /^Confirm/.test(f.text), 'Confirm and send');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: `${title}: done.` }).waitFor();
  await page.screenshot({ path: join(ARTIFACTS_DIR, 'keyboard-done.png'), fullPage: true });
  await context.close();
  return toCase;
}

await runScenario('the staff workspace by keyboard alone', 'keyboard', async (browser) => {
  const presses = await keyboardOnly(browser);
  return `a handler signs in, opens a case from the dashboard (${presses} presses of Tab) and records a response by keyboard alone, the focus visible at every stop`;
});

// axe-core (WCAG 2.2 A and AA, at 375 px and at 1280 px, no sideways scrolling on a phone) on the
// staff workspace's pages the lifecycle and registers tests do not reach: the account page, the
// signed-out page, the message pages (case not found, "You cannot do this", "Someone else changed
// this case", "This form has expired"), the log-a-complaint check page, the letter preview of every
// one of the 25 actions (two cases driven through the states each action needs), and the four
// registers with items in them. Headless Debian Chromium driven by playwright-core; run by
// scripts/test-browser after keyboard.test.mjs on the same server, with:
//
//   BASE_URL        the running server
//   HANDLER, MANAGER   user names; PASSWORD their password
//   ARTIFACTS_DIR   where screenshots go (git-ignored): pages-<page>.png for every page checked
//
// A check that fails is reported and the run goes on, so one run lists every problem; the run
// fails at the end if any check failed. Checks that fail because of a defect already reported are
// listed in KNOWN_DEFECTS with the defect: they still fail the run, named as known.

import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ARTIFACTS_DIR, accessible as axeCheck, runScenario, signIn as harnessSignIn, staffEnv } from './harness.mjs';

const { baseUrl: BASE_URL, handler: HANDLER, manager: MANAGER, password: PASSWORD } = staffEnv();

/** Check name → the defect that makes it fail (keep in step with the report of the defect). */
const KNOWN_DEFECTS = {};

const checked = [];
const problems = [];

/** Runs one check; a failure is recorded (with a screenshot) and the run goes on. */
async function attempt(what, page, body) {
  try {
    await body();
  } catch (error) {
    problems.push({ what, error });
    console.log(`# failed: ${what}${KNOWN_DEFECTS[what] ? ` (known defect: ${KNOWN_DEFECTS[what]})` : ''}`);
    const file = `pages-failed-${what.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`;
    await page.screenshot({ path: join(ARTIFACTS_DIR, file), fullPage: true }).catch(() => {});
  }
}

const shots = new Map();

/** axe-core at both widths, then a screenshot kept as pages-<name>.png (-2, -3… when seen again). */
async function accessible(page, what) {
  await axeCheck(page, what, checked);
  await page.setViewportSize({ width: 1280, height: 900 });
  const name = what.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  const seen = (shots.get(name) ?? 0) + 1;
  shots.set(name, seen);
  await page.screenshot({ path: join(ARTIFACTS_DIR, `pages-${name}${seen > 1 ? `-${seen}` : ''}.png`), fullPage: true });
}

const signIn = (page, user) => harnessSignIn(page, { baseUrl: BASE_URL, user, password: PASSWORD });

/** Today in Scotland as YYYY-MM-DD (the server's "today"). */
function today() {
  return new Date().toLocaleDateString('en-CA', { timeZone: 'Europe/London' });
}

/**
 * `iso` moved on by `days` calendar days, then on to a Monday–Friday that is not one of the fixed
 * Christmas and New Year holidays (enough for the forms' "a working day" checks near today).
 */
function weekdayAfter(iso, days) {
  const date = new Date(`${iso}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  const holiday = (d) => ['12-25', '12-26', '12-28', '01-01', '01-02', '01-04'].includes(d.toISOString().slice(5, 10));
  while ([0, 6].includes(date.getUTCDay()) || holiday(date)) date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** Fills the form in `main` by field name: selects by value, radios and checkboxes by value, boxes by text. */
async function fillForm(page, answers) {
  for (const [name, value] of Object.entries(answers)) {
    const field = page.locator(`main [name="${name}"]`).first();
    const [tag, type] = await field.evaluate((e) => [e.tagName.toLowerCase(), e.getAttribute('type')]);
    if (tag === 'select') await field.selectOption(value); // a value, or { index } for the nth choice
    else if (type === 'radio' || type === 'checkbox') await page.locator(`main [name="${name}"][value="${value}"]`).check();
    else await field.fill(value);
  }
}

/** The error summary's text, if the page has one (a refused or incomplete form). */
async function errorSummary(page) {
  const summary = page.locator('.error-summary');
  return (await summary.count()) > 0 ? (await summary.innerText()).replace(/\s+/g, ' ') : '';
}

/** The due dates of the case's running clocks, latest last. */
async function dueDates(page, reference) {
  await page.goto(`${BASE_URL}/staff/cases/${reference}`);
  const dues = await page.locator('#clocks ~ .table-wrap time').evaluateAll((times) => times.map((t) => t.getAttribute('datetime')));
  return dues.sort();
}

/**
 * Opens action `name`'s form on `reference`, fills it, continues to the preview of the letter,
 * checks the preview with axe-core and, with `confirm`, confirms it and waits for the banner.
 */
async function preview(page, reference, name, title, answers, { confirm = false } = {}) {
  await page.goto(`${BASE_URL}/staff/cases/${reference}/actions/${name}`);
  await page.getByRole('heading', { name: title, level: 1 }).waitFor();
  await fillForm(page, answers);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.locator('h1').first().waitFor();
  const refused = await errorSummary(page);
  assert.equal(refused, "", `${title}: the preview was refused: ${refused}`);
  await page.getByRole('heading', { name: `Check before you confirm: ${title}`, level: 1 }).waitFor();
  await accessible(page, `preview ${name}`);
  if (confirm) {
    await page.getByRole('button', { name: /^Confirm/ }).click();
    await page.getByRole('status').filter({ hasText: `${title}: done.` }).waitFor();
  }
}

/**
 * A complaint on the citizen's web form, made for someone else with `on_behalf`, or with the
 * hidden box a robot fills (`honeypot`). Returns the reference.
 */
async function complain(browser, { name, on_behalf = false, honeypot = false }) {
  const context = await browser.newContext({ locale: 'en-GB' });
  const citizen = await context.newPage();
  await citizen.goto(`${BASE_URL}/`);
  await citizen.fill('#name', name);
  await citizen.fill('#email', 'every.page@example.net');
  await citizen.getByLabel('Roads, parking and transport').check();
  await citizen.fill('#description', 'The pavement on Kirk Wynd has been broken for two months.');
  await citizen.fill('#outcome', 'Repair the pavement.');
  if (on_behalf) {
    await citizen.locator('input[name="on_behalf"][value="yes"]').check();
    await citizen.getByLabel('Their full name').fill('Isla Example');
    await citizen.getByLabel('Your relationship to them').fill('Daughter');
    await citizen.getByLabel('I confirm they have agreed to me making this complaint for them').check();
  } else {
    await citizen.getByLabel('No, this is my own complaint').check();
  }
  // The box people cannot see: a robot fills it, and the complaint is flagged as possible spam.
  if (honeypot) await citizen.evaluate(() => { document.getElementById('website').value = 'https://spam.example'; });
  await citizen.getByRole('button', { name: 'Send complaint' }).click();
  await citizen.getByRole('heading', { name: 'Complaint received' }).waitFor();
  const reference = (await citizen.textContent('#reference')).trim();
  await context.close();
  return reference;
}

async function everyPage(browser) {
  const newPage = async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' })).newPage();
    page.setDefaultTimeout(15000);
    return page;
  };
  // A complaint made for someone else (so consent for a representative can be recorded), and one
  // a robot made (the honeypot box filled), which lands in the flagged register.
  const first = await complain(browser, { name: 'Ailsa Pages', on_behalf: true });
  const robot = await complain(browser, { name: 'Robot Pages', honeypot: true });

  const manager = await newPage();
  await signIn(manager, MANAGER);
  const handler = await newPage();
  await signIn(handler, HANDLER);

  await attempt('account page', manager, async () => {
    await manager.goto(`${BASE_URL}/staff/account`);
    await manager.getByRole('heading', { level: 1 }).first().waitFor();
    assert.ok((await manager.locator('main').innerText()).includes(MANAGER), 'the account page names who is signed in');
    await accessible(manager, 'account');
  });

  await attempt('case not found (404)', manager, async () => {
    const response = await manager.goto(`${BASE_URL}/staff/cases/CMP-2026-99999`);
    assert.equal(response.status(), 404);
    await manager.getByRole('heading', { name: 'Case not found', level: 1 }).waitFor();
    await accessible(manager, 'case not found');
  });

  await attempt('an address that is not a page (404)', manager, async () => {
    const response = await manager.goto(`${BASE_URL}/staff/no-such-page`);
    assert.equal(response.status(), 404);
    await accessible(manager, 'no such page');
  });

  await attempt('you cannot do this (403)', handler, async () => {
    // R21: only a manager extends; a handler who opens the address gets the refusal page.
    const response = await handler.goto(`${BASE_URL}/staff/cases/${first}/actions/extend`);
    assert.equal(response.status(), 403);
    await handler.getByRole('heading', { name: 'You cannot do this', level: 1 }).waitFor();
    await accessible(handler, 'you cannot do this');
  });

  await attempt('this form has expired (403)', handler, async () => {
    // A form whose token is not the session's (an old tab, or another site posting here).
    await handler.goto(`${BASE_URL}/staff/cases/${first}/actions/classify`);
    await handler.locator('main input[name="csrf"]').evaluate((input) => { input.value = 'an-old-token'; });
    await fillForm(handler, { category: 'Delay', lead_service: 'Roads' });
    await handler.getByRole('button', { name: 'Continue' }).click();
    await handler.getByRole('heading', { name: 'This form has expired', level: 1 }).waitFor();
    await accessible(handler, 'this form has expired');
  });

  await attempt('someone else changed this case (409)', handler, async () => {
    // The handler opens a form and previews it; meanwhile the manager changes the case.
    await preview(handler, first, 'classify', 'Classify', { category: 'Delay', lead_service: 'Roads' });
    await preview(manager, first, 'assign', 'Assign', { handler: HANDLER, team: 'Roads team' }, { confirm: true });
    await handler.getByRole('button', { name: /^Confirm/ }).click();
    await handler.getByRole('heading', { name: 'Someone else changed this case', level: 1 }).waitFor();
    await accessible(handler, 'someone else changed this case');
  });

  // Logging a phone complaint about something that happened two years ago (R15: it may be late).
  let second = '';
  await attempt('log a complaint: the check page', handler, async () => {
    await handler.goto(`${BASE_URL}/staff/cases/new`);
    const eventDate = new Date();
    eventDate.setUTCFullYear(eventDate.getUTCFullYear() - 2);
    await fillForm(handler, {
      channel: 'phone',
      name: 'Fraser Pages',
      email: 'fraser.pages@example.net',
      service_area: { index: 1 },
      description: 'The bins on Kirk Wynd were not emptied for a month, two years ago.',
      event_date: weekdayAfter(eventDate.toISOString().slice(0, 10), 0),
      note: 'Called at 10:15.',
    });
    await handler.getByRole('button', { name: 'Continue' }).click();
    await handler.getByRole('heading', { name: 'Check the complaint before you log it', level: 1 }).waitFor();
    await accessible(handler, 'log a complaint check');
    await handler.getByRole('button', { name: 'Log the complaint' }).click();
    await handler.getByRole('status').filter({ hasText: 'The complaint was logged.' }).waitFor();
    second = /\/staff\/cases\/([^/?#]+)/.exec(handler.url())[1];
  });

  // A learning action to link (and the learning register with an item).
  let learningId = '';
  await attempt('learning register with items', manager, async () => {
    await manager.goto(`${BASE_URL}/staff/learning`);
    await fillForm(manager, {
      root_cause: 'Pavement inspections missed Kirk Wynd',
      action: 'Add Kirk Wynd to the inspection route',
      owner: 'Roads manager',
      due_on: weekdayAfter(today(), 60),
      cases: first,
    });
    await manager.getByRole('button', { name: 'Add the learning action' }).click();
    await manager.getByRole('status').filter({ hasText: 'The learning action was added.' }).waitFor();
    const row = manager.getByRole('row').filter({ hasText: 'Add Kirk Wynd to the inspection route' }).first();
    learningId = (await row.getByRole('rowheader').innerText()).trim();
    await accessible(manager, 'learning register with items');
  });

  const day = today();
  // The 25 actions' previews, as the manager unless a step names the handler's page. On the first
  // case (stage 1, open) the records and the stage 1 actions; then stage 1 closed, stage 2 and the
  // final response, and after it. On the second (late) case, the manager's other actions.
  const steps = [
    [first, 'classify', 'Classify', { category: 'Delay', lead_service: 'Roads' }, true],
    [first, 'record-consent', 'Record consent for a representative', { consent_type: 'written', given_on: day, given_by: 'Isla Example' }, true],
    [first, 'record-child', "Record the child or young person's details", { record_involvement: 'adult-about-child', record_age_band: 'from12-to15' }, false],
    [first, 'staff-involved', 'Record a member of staff involved', { staff_ref: 'EMP-0042', email: 'staff.member@example.org' }, true],
    [first, 'link-learning', 'Link a learning action', () => ({ action_id: learningId }), false],
    [first, 'withdraw', 'Record a withdrawal', { reason: 'The customer no longer wishes to complain.' }, false],
    [first, 'not-a-complaint', 'Record that this is not a complaint', { reason: 'routine-service-request', directed_to: 'The roads fault line' }, false],
    [first, 'stage2', 'Take to stage 2', { how: 'move', reason: 'The pavement needs an investigation.' }, false],
    [first, 'extend', 'Extend the response date', async () => ({ reason: 'We are waiting for the inspector.', new_due: weekdayAfter((await dueDates(manager, first)).at(-1), 5) }), true],
    [first, 'respond', 'Record the stage 1 response', { outcome: 'resolved', note: 'We will repair the pavement next week.' }, true],
    // R36: agreed actions are tracked for resolved complaints.
    [first, 'agree-action', 'Record an agreed action', { description: 'Repair the pavement', owner: 'Roads team', due_on: weekdayAfter(day, 20) }, true],
    [first, 'complete-action', 'Record an agreed action as done', { index: '1' }, false],
    [first, 'reopen', 'Reopen the case', { reason: 'The response missed a point.', respond_by: weekdayAfter(day, 14) }, false],
    [first, 'escalate', 'Record an escalation to stage 2', { channel: 'email' }, true],
    [first, 'acknowledge', 'Acknowledge stage 2', { points_1_summary: 'The pavement is still broken.', points_1_outcome: 'A lasting repair.' }, true],
    [first, 'amend-points', 'Amend the points of complaint', { points_2_summary: 'Nobody replied to my calls.', points_2_outcome: 'An apology.', reason: 'The customer added a point by phone.' }, false],
    [first, 'extend', 'Extend the response date', async () => ({ reason: 'The contractor is testing the surface.', new_due: weekdayAfter((await dueDates(manager, first)).at(-1), 14) }), true],
    [first, 'update', 'Give a progress update', { note: 'The contractor starts on Monday.' }, false],
    [first, 'close', 'Give the final response', { point_outcomes_1: 'partially-upheld', note: 'The pavement was repaired. We should have acted sooner.' }, true],
    [first, 'correspondence-after-final', 'Record correspondence after the final response', { channel: 'email' }, false],
    [first, 'refer-spso', 'Record an SPSO referral', { referred_on: day }, true],
    [first, 'spso-outcome', "Record the SPSO's decision", { outcome: 'not-taken-forward', decided_on: day }, false],
    [second, 'accept-late', 'Accept a late complaint', { reason: 'The customer was in hospital for most of the time.' }, false],
    [second, 'restrict', 'Restrict contact', { scope: 'subjects', scope_subjects: 'The bin collections of 2024', review_on: weekdayAfter(day, 90), reason: 'Repeated calls about a matter already answered.' }, true],
    [second, 'review-restriction', 'Review a contact restriction', { restriction: '1' }, false],
    [second, 'assign', 'Assign', { handler: HANDLER }, false],
    // Resolved by the handler: a closure the manager, a second reader, is offered in the quality check.
    [second, 'respond', 'Record the stage 1 response', { outcome: 'resolved', note: 'We apologise; the bins are now collected.' }, true, handler],
  ];
  const previewed = new Set();
  for (const [reference, name, title, answers, confirm, page = manager] of steps) {
    await attempt(`preview ${name}${confirm ? ' and confirm' : ''} (${reference === first ? 'first' : 'second'} case)`, page, async () => {
      assert.ok(reference, 'the case was made');
      const values = typeof answers === 'function' ? await answers() : answers;
      await preview(page, reference, name, title, values, { confirm });
      previewed.add(name);
    });
  }

  await attempt('SPSO referrals with items', manager, async () => {
    await manager.goto(`${BASE_URL}/staff/spso`);
    await manager.getByRole('link', { name: first }).first().waitFor();
    await accessible(manager, 'SPSO referrals with items');
  });
  await attempt('flagged for staff with items', manager, async () => {
    await manager.goto(`${BASE_URL}/staff/flagged`);
    await manager.locator('#flagged-items ~ .table-wrap').getByRole('link', { name: robot }).first().waitFor();
    await accessible(manager, 'flagged with items');
  });
  await attempt('quality check with items', manager, async () => {
    await manager.goto(`${BASE_URL}/staff/quality`);
    await manager.getByRole('link', { name: /^Review / }).first().waitFor();
    await accessible(manager, 'quality check with items');
  });

  await attempt('signed-out page', handler, async () => {
    await handler.goto(`${BASE_URL}/staff/`);
    await handler.getByRole('button', { name: 'Sign out' }).click();
    await handler.getByRole('heading', { name: 'You have signed out', level: 1 }).waitFor();
    await accessible(handler, 'signed out');
  });

  const missing = [...new Set(steps.map((step) => step[1]))].filter((name) => !previewed.has(name));
  if (problems.length > 0) {
    const lines = problems.map(({ what, error }) => `- ${what}${KNOWN_DEFECTS[what] ? ` [known defect: ${KNOWN_DEFECTS[what]}]` : ''}: ${String(error?.message ?? error).split('\n')[0]}`);
    throw new Error(`${problems.length} check(s) failed (${previewed.size} of 25 previews checked; not previewed: ${missing.join(', ') || 'none'}):\n${lines.join('\n')}`);
  }
  assert.equal(previewed.size, 25, 'every action previewed');
}

await runScenario('every staff page not checked elsewhere', 'pages', async (browser) => {
  await everyPage(browser);
  return `every other staff page and all 25 action previews pass axe-core (${checked.length} pages)`;
});

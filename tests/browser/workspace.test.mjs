// End-to-end test of the staff workspace in a real browser (headless Debian Chromium driven by
// playwright-core): one complaint from the citizen's web form to the final response, the way the
// staff handle it. scripts/test-browser starts a fresh `complaints serve` with a handler and a
// manager in the users file and sets the variables below.
//
//   BASE_URL        the running server
//   DATA_DIR        its data directory (the mail folder and the inbox)
//   HANDLER, MANAGER           user names; PASSWORD their password
//   ARTIFACTS_DIR   where screenshots go (git-ignored)
//   DOCS_IMAGES     optional: also save the best screenshots here (docs/images, for docs/workspace.md)
//
// Every page visited is checked with axe-core (WCAG 2.2 A and AA rules) at 375 px and at desktop
// width, and must not scroll sideways on a phone.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ARTIFACTS_DIR, accessible as axeCheck, required, runScenario, signIn as harnessSignIn, staffEnv } from './harness.mjs';

const { baseUrl: BASE_URL, handler: HANDLER, manager: MANAGER, password: PASSWORD } = staffEnv();
const DATA_DIR = required('DATA_DIR');
const DOCS_IMAGES = process.env.DOCS_IMAGES ?? '';
const CITIZEN = 'morven.citizen@example.net';
const checked = [];

/** axe-core at a phone's width and at desktop width; no sideways scrolling on the phone. */
const accessible = (page, what) => axeCheck(page, what, checked);

async function shot(page, name, docsName) {
  await page.screenshot({ path: join(ARTIFACTS_DIR, `workspace-${name}.png`), fullPage: true });
  if (DOCS_IMAGES && docsName) {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(DOCS_IMAGES, docsName), fullPage: false });
  }
}

async function signIn(page, user) {
  await harnessSignIn(page, { baseUrl: BASE_URL, user, password: PASSWORD, onSignInPage: (p) => accessible(p, 'sign-in') });
}

/** The case page, from a search of the case list by name (a POST: the name never reaches the URL). */
async function openCase(page, reference) {
  if (!page.url().includes('/staff/')) await page.goto(`${BASE_URL}/staff/`);
  await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Cases', exact: true }).click();
  await page.getByLabel('Reference, name or email address').fill('Morven Citizen');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('heading', { name: /Cases matching/ }).waitFor();
  assert.ok(!page.url().includes('Morven'), 'the search is not in the address');
  await accessible(page, 'search results');
  await page.getByRole('link', { name: reference }).click();
  await page.getByRole('heading', { name: new RegExp(reference), level: 1 }).waitFor();
}

/** Opens an action's form from the case page, fills it, previews the letter and confirms. */
async function act(page, title, fill, checkPreview) {
  await page.getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { name: title, level: 1 }).waitFor();
  await accessible(page, `${title} form`);
  await fill(page);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: `Check before you confirm: ${title}` }).waitFor();
  await accessible(page, `${title} preview`);
  const preview = await page.locator('main').innerText();
  await checkPreview(page, preview);
  await page.getByRole('button', { name: /^Confirm/ }).click();
  await page.getByRole('status').filter({ hasText: `${title}: done.` }).waitFor();
  await accessible(page, `case page after ${title}`);
}

/** The newest .eml in the mail folder for `reference` whose name holds `purpose`. */
function letter(reference, purpose) {
  const mail = join(DATA_DIR, 'mail');
  const files = readdirSync(mail).filter((f) => f.endsWith('.eml') && f.includes(reference.toLowerCase()) && f.includes(purpose)).sort();
  assert.ok(files.length > 0, `a ${purpose} letter for ${reference} in the mail folder`);
  return readFileSync(join(mail, files[files.length - 1]), 'utf8');
}

/** A .eml as sent, as plain text (quoted-printable soft breaks joined). */
function plain(eml) {
  return eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

async function waitFor(check, what) {
  for (let i = 0; i < 100; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function lifecycle(browser) {
  const context = (options = {}) => browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', bypassCSP: true, ...options });

  // 1. A citizen complains on the web form.
  const citizen = await (await context()).newPage();
  await citizen.goto(`${BASE_URL}/`);
  await accessible(citizen, 'complaint form');
  await citizen.fill('#name', 'Morven Citizen');
  await citizen.fill('#email', CITIZEN);
  await citizen.check('#contact_method');
  await citizen.getByLabel('Roads, parking and transport').check();
  await citizen.fill('#description', 'The streetlight outside 4 Kirk Wynd has been out for three weeks. <script>alert(1)</script>');
  await citizen.fill('#outcome', 'Fix the light.');
  await citizen.getByLabel('No, this is my own complaint').check();
  await citizen.getByRole('button', { name: 'Send complaint' }).click();
  await citizen.getByRole('heading', { name: 'Complaint received' }).waitFor();
  await accessible(citizen, 'confirmation');
  const reference = (await citizen.textContent('#reference')).trim();

  // 2. A handler signs in and finds it on the dashboard.
  const handlerContext = await context();
  const handler = await handlerContext.newPage();
  handler.setDefaultTimeout(15000);
  await signIn(handler, HANDLER);
  await accessible(handler, 'dashboard');
  await shot(handler, 'dashboard', 'workspace-dashboard.png');
  const newToday = handler.locator('#team-new-today-table');
  await newToday.getByRole('link', { name: reference }).click();
  await handler.getByRole('heading', { name: new RegExp(reference), level: 1 }).waitFor();
  await accessible(handler, 'case page');
  const page = await handler.locator('main').innerText();
  assert.match(page, /Stage 1 response/);
  assert.match(page, /working days left|Due today/);
  assert.ok(page.includes('<script>alert(1)</script>'), 'the complaint text shows as text');
  assert.equal(await handler.locator('main script').count(), 0, 'and never as markup');
  await shot(handler, 'case', 'workspace-case.png');

  // 3. The handler records a resolved stage 1 response with signposting, previewing the letter.
  const response = 'We repaired the streetlight on Tuesday. Sorry it took so long.';
  await act(handler, 'Record the stage 1 response', async (p) => {
    await p.getByLabel('Outcome', { exact: true }).selectOption('resolved');
    await p.getByLabel('The response', { exact: true }).fill(response);
  }, async (p, preview) => {
    assert.ok(preview.includes(response), 'the letter carries the response');
    assert.match(preview, /By email to morven\.citizen@example\.net/);
    assert.match(preview, /stage 2|Stage 2|investigat/i, 'the letter says how to escalate (R23)');
    await shot(p, 'stage1-preview', 'workspace-letter-preview.png');
  });
  // The letter is in the outgoing mail (the mail folder, and the dev /mail page).
  let stage1 = '';
  await waitFor(() => {
    try { stage1 = plain(letter(reference, "s1-response")); return true; } catch { return false; }
  }, 'the stage 1 response in the mail folder');
  assert.ok(stage1.includes('We repaired the streetlight on Tuesday.'), 'the letter sent is the one previewed');
  await handler.goto(`${BASE_URL}/mail`);
  await handler.getByRole('link', { name: new RegExp(reference) }).first().waitFor();

  // 4. The citizen replies by email asking for stage 2 (the inbox is watched by `serve`).
  const sentId = /^Message-ID: <([^>]+)>/mi.exec(stage1)?.[1];
  assert.ok(sentId, 'the stage 1 letter has a Message-ID');
  const reply = [
    `From: Morven Citizen <${CITIZEN}>`,
    'To: complaints@example.org',
    `Subject: Re: Your complaint ${reference}`,
    `Message-ID: <reply-${Date.now()}@example.org>`,
    `In-Reply-To: <${sentId}>`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'I am not happy: the light went out again last night. Please take my complaint to stage 2.',
    '',
  ].join('\r\n');
  mkdirSync(join(DATA_DIR, 'inbox'), { recursive: true });
  writeFileSync(join(DATA_DIR, 'inbox', `reply-${reference}.eml`), reply);
  await openCase(handler, reference);
  await waitFor(async () => {
    await handler.reload();
    return (await handler.locator('#received ~ ul').first().innerText().catch(() => '')).includes('the light went out again');
  }, 'the reply on the case page');
  await accessible(handler, 'case page with the reply');

  // The handler records the escalation with the points of complaint: stage 2 is acknowledged.
  await act(handler, 'Record an escalation to stage 2', async (p) => {
    await p.getByLabel('How the customer asked').selectOption('email');
    await p.getByLabel('Point 1', { exact: true }).fill('The streetlight keeps failing.');
    await p.getByLabel('Outcome sought for point 1').fill('A lasting repair.');
  }, async (_p, preview) => {
    assert.match(preview, /Stage 2 acknowledgement/);
    assert.ok(preview.includes('The streetlight keeps failing.'), 'the acknowledgement lists the point');
  });

  // 5. A manager extends stage 2 (a handler is not offered it).
  assert.equal(await handler.getByRole('link', { name: 'Extend the response date', exact: true }).count(), 0);
  const managerContext = await context();
  const manager = await managerContext.newPage();
  manager.setDefaultTimeout(15000);
  await signIn(manager, MANAGER);
  await openCase(manager, reference);
  await accessible(manager, 'case page as a manager');
  const dues = await manager.locator('#clocks ~ .table-wrap time').evaluateAll((times) => times.map((t) => t.getAttribute('datetime')));
  const latest = dues.sort().at(-1);
  const newDue = new Date(`${latest}T12:00:00Z`);
  newDue.setUTCDate(newDue.getUTCDate() + 14);
  while ([0, 6].includes(newDue.getUTCDay())) newDue.setUTCDate(newDue.getUTCDate() + 1);
  const newDueIso = newDue.toISOString().slice(0, 10);
  await act(manager, 'Extend the response date', async (p) => {
    await p.getByLabel('Reason for the extension').fill('We are waiting for the electricity network operator to test the cable.');
    await p.getByLabel('New response date').fill(newDueIso);
  }, async (_p, preview) => {
    assert.match(preview, /Extension/);
    assert.ok(preview.includes('electricity network operator'), 'the letter gives the reason');
  });
  assert.ok((await manager.locator('#clocks ~ .table-wrap').innerText()).includes('(extended)'));

  // 6. The handler closes stage 2 partially upheld; the final letter carries the SPSO block.
  await openCase(handler, reference);
  await act(handler, 'Give the final response', async (p) => {
    await p.getByLabel('Outcome of point 1').selectOption('partially-upheld');
    await p.getByLabel('The final response', { exact: true }).fill('The cable was faulty and has been replaced. We should have found this sooner.');
  }, async (p, preview) => {
    assert.match(preview, /Scottish Public Services Ombudsman/, 'the final response signposts the SPSO (R37)');
    await shot(p, 'final-preview', 'workspace-final-response.png');
  });
  let finalLetter = '';
  await waitFor(() => {
    try { finalLetter = plain(letter(reference, ".final.")); return true; } catch { return false; }
  }, 'the final response in the mail folder');
  assert.match(finalLetter, /Scottish Public Services Ombudsman/);
  assert.match(finalLetter, /spso\.org\.uk/i);
  const closed = await handler.locator('main').innerText();
  assert.match(closed, /Final response given/);
  assert.match(closed, /Viewed by/, 'views are on the timeline');
  await shot(handler, 'closed-case');

  // The closed case offers only what its state permits (the core decides): reopening and the
  // SPSO, not another final response.
  await openCase(manager, reference);
  const offered = await manager.locator('#actions ~ .action-list a').evaluateAll((links) => links.map((a) => a.textContent.trim()));
  assert.ok(offered.includes('Reopen the case') && offered.includes('Record an SPSO referral'), `offered: ${offered}`);
  assert.ok(!offered.includes('Give the final response') && !offered.includes('Record the stage 1 response'), `offered: ${offered}`);
  // Every action's form, as a manager (whose role allows nearly all of them; a form can be opened
  // in any state and the server refuses what the state forbids), with the error summary of a
  // blank form for each.
  const actions = ['respond', 'extend', 'escalate', 'stage2', 'acknowledge', 'amend-points', 'update', 'close',
    'withdraw', 'not-a-complaint', 'reopen', 'refer-spso', 'spso-outcome', 'restrict', 'review-restriction',
    'accept-late', 'staff-involved', 'link-learning', 'correspondence-after-final', 'record-consent',
    'agree-action', 'complete-action', 'record-child', 'assign', 'classify'];
  const caseUrl = manager.url().split('?')[0];
  for (const action of actions) {
    const href = `${caseUrl}/actions/${action}`;
    await manager.goto(href);
    const title = (await manager.locator('h1').innerText()).trim();
    await accessible(manager, `${title} form`);
    await manager.getByRole('button', { name: 'Continue' }).click();
    await manager.locator('.error-summary, h1').first().waitFor();
    await accessible(manager, `${title} after Continue`);
  }

  // The pages not visited on the way: the case list with filters, and logging a phone complaint.
  await handler.goto(`${BASE_URL}/staff/cases?scope=year&status=stage2-closed`);
  await handler.getByRole('link', { name: reference }).waitFor();
  await accessible(handler, 'case list');
  await handler.getByRole('link', { name: 'Log a complaint' }).click();
  await accessible(handler, 'log a complaint');
  await handler.getByRole('button', { name: 'Continue' }).click();
  await handler.locator('.error-summary').waitFor();
  await accessible(handler, 'log a complaint with errors');
  // A letter received earlier, from someone complaining for their father: the check page shows
  // when the clock starts and the acknowledgement that will go.
  await handler.getByLabel('How the complaint was made').selectOption('letter');
  await handler.getByLabel('When it reached us (optional)').fill('2026-11-27T09:30');
  await handler.getByLabel('Full name (optional)').fill('Alex Example');
  await handler.getByLabel('Email address (optional)').fill('alex@example.net');
  await handler.getByLabel('The person affected').fill('Sam Example');
  await handler.getByLabel('Their relationship to the person').fill('Son');
  await handler.getByLabel('Did they confirm the person agreed to them complaining?').selectOption('yes');
  await handler.getByLabel('Service area').selectOption({ index: 1 });
  await handler.getByLabel('What happened').fill('The crossing light outside the school has been out for weeks.');
  await handler.getByLabel('Your note of the conversation').fill('Letter dated 25 November.');
  await handler.getByRole('button', { name: 'Continue' }).click();
  await handler.getByRole('heading', { name: 'Check the complaint before you log it' }).waitFor();
  const checkPage = await handler.locator('main').innerText();
  assert.match(checkPage, /Received Friday 27 November 2026, 09:30 \(UK time\)/);
  assert.match(checkPage, /The acknowledgement that will be sent/);
  await accessible(handler, 'log a complaint: check with the acknowledgement');
  // Keyboard: the skip link is the first stop and the navigation is reachable by Tab.
  await handler.goto(`${BASE_URL}/staff/`);
  await handler.keyboard.press('Tab');
  assert.equal(await handler.evaluate(() => document.activeElement?.textContent), 'Skip to main content');
  await handler.keyboard.press('Enter');
  assert.equal(await handler.evaluate(() => document.activeElement?.id), 'main', 'the skip link moves focus to the main content');
  // Sign out ends the session.
  await handler.getByRole('button', { name: 'Sign out' }).click();
  await handler.goto(`${BASE_URL}/staff/`);
  await handler.getByRole('heading', { name: 'Sign in' }).waitFor();
  await handlerContext.close();
  await managerContext.close();
}

await runScenario('the staff workspace lifecycle', 'workspace', async (browser) => {
  await lifecycle(browser);
  return `a complaint goes from the web form to the final response in the staff workspace (axe-core clean on ${checked.length} pages)`;
});

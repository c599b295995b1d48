// The set-up every browser test shares: reading the variables scripts/test-browser sets,
// launching the headless Debian Chromium, axe-core (WCAG 2.2 A and AA) at a phone's and a
// desktop's width, signing in to the staff workspace, and running the tests with a TAP-like
// report (`ok - …`, `not ok - …`, then `browser: N passed, M failed`, which scripts/test reads)
// and a screenshot of every open page when one fails.

import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR ?? 'tests/artifacts';
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
/** axe-core's script, to evaluate in a page, and its path, for `addScriptTag`. */
export const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const AXE = readFileSync(AXE_PATH, 'utf8');
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The environment variable `name`, or exit 2 saying the test is meant to run from scripts/test-browser. */
export function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`browser: ${name} is not set (run scripts/test-browser)`);
    process.exit(2);
  }
  return value;
}

/** The staff workspace's server and its two users (a handler and a manager with one password). */
export function staffEnv() {
  return {
    baseUrl: required('BASE_URL'),
    handler: required('HANDLER'),
    manager: required('MANAGER'),
    password: required('PASSWORD'),
  };
}

/**
 * axe-core at 375 px and at 1280 px, with no sideways scrolling at 375 px (naming up to five
 * elements that stick out of `main`, outside a scrolling table). Each page checked is pushed
 * onto `checked`, so a test can say how many it checked.
 */
export async function accessible(page, what, checked = []) {
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.evaluate(AXE);
    const result = await page.evaluate(async (tags) => await window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), WCAG);
    const found = result.violations.map((v) => `${v.id}: ${v.nodes.length} node(s) – ${v.help} – ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(found, [], `axe-core violations on ${what} at ${width}px`);
    assert.ok(result.passes.length > 0, 'axe-core ran its rules');
    if (width === 375) {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      const wide = overflow === 0 ? [] : await page.evaluate(() => [...document.querySelectorAll('main *')]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth && !e.closest('.table-wrap'))
        .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className}`).slice(0, 5));
      assert.equal(overflow, 0, `${what}: no sideways scrolling at 375px (${wide.join(', ')})`);
    }
  }
  checked.push(what);
}

/**
 * Signs `user` in on the workspace's own sign-in page and waits for the dashboard. `onSignInPage`
 * runs on the sign-in page before it is filled (an axe-core check, say).
 */
export async function signIn(page, { baseUrl, user, password, onSignInPage }) {
  await page.goto(`${baseUrl}/staff/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  if (onSignInPage) await onSignInPage(page);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

/** Headless Chromium; when it is not installed, `failures` failures are reported and the run exits 1. */
async function launch(failures) {
  if (!existsSync(CHROMIUM)) {
    console.error(`browser: ${CHROMIUM} is missing`);
    console.log(`browser: 0 passed, ${failures} failed`);
    process.exit(1);
  }
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

function report(name, error) {
  console.log(`not ok - ${name}\n  ${String(error?.stack ?? error).split('\n').join('\n  ')}`);
}

/**
 * One scenario that drives the whole browser itself (several contexts, several users): `body`
 * gets the browser and returns the line to print on success. On failure every open page is
 * saved as `<prefix>-failed-<context>-<page>.png`. Exits with the result.
 */
export async function runScenario(name, prefix, body) {
  const browser = await launch(1);
  let failed = 0;
  try {
    console.log(`ok - ${await body(browser)}`);
  } catch (error) {
    failed = 1;
    report(name, error);
    for (const [i, context] of browser.contexts().entries()) {
      for (const [j, page] of context.pages().entries()) {
        await page.screenshot({ path: join(ARTIFACTS_DIR, `${prefix}-failed-${i}-${j}.png`), fullPage: true }).catch(() => {});
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`browser: ${1 - failed} passed, ${failed} failed`);
  process.exit(failed);
}

/**
 * A list of `[name, run(page)]` tests, each in a fresh context with `contextOptions`; `open(page)`
 * runs first (a `goto`, say). With `failureShots`, a failing test's page is saved as
 * `failed-<n>.png`. Exits with the result.
 */
export async function runTests(tests, { contextOptions = {}, open, failureShots = false } = {}) {
  const browser = await launch(tests.length);
  let passed = 0;
  let failed = 0;
  try {
    for (const [name, run] of tests) {
      const context = await browser.newContext({ locale: 'en-GB', ...contextOptions });
      const page = await context.newPage();
      page.setDefaultTimeout(15000);
      try {
        if (open) await open(page);
        await run(page);
        passed += 1;
        console.log(`ok - ${name}`);
      } catch (error) {
        failed += 1;
        report(name, error);
        if (failureShots) {
          await page.screenshot({ path: join(ARTIFACTS_DIR, `failed-${passed + failed}.png`), fullPage: true }).catch(() => {});
        }
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

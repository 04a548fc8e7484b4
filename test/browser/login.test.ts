// Signing in to the dashboard in a real browser: the token form, a #token= link that leaves the address
// bar clean, a 401 that brings the form back, open mode without a form, and pages free of CSP violations.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApi, TOKENS, type TestApi } from '../helpers/api';
import { browserSuite, useBrowser } from './helpers/browser';
import { signIn, WAIT_MS } from './helpers/dashboard';

browserSuite('signing in to the dashboard', () => {
  const chrome = useBrowser();
  let api: TestApi;
  let open: TestApi;
  before(async () => {
    [api, open] = await Promise.all([startApi(), startApi({ tokens: '' })]);
  });
  after(async () => {
    await Promise.all([api?.close(), open?.close()]);
  });

  test('when a user opens the dashboard without a token, then the form asks for one and a known token signs in', async () => {
    const page = await chrome.page();
    await page.goto(`${api.url}/ui/`);
    await page.waitForSelector('[data-login] input[name=token]', { timeout: WAIT_MS });
    assert.equal(await page.$('#nav:not([hidden])'), null, 'no pages before signing in');

    await page.type('[data-login] input[name=token]', 'not-a-known-token');
    await page.click('[data-login] button[type=submit]');
    await page.waitForFunction(
      () => /does not know/.test(document.querySelector('[data-login-message]')?.textContent ?? ''),
      { timeout: WAIT_MS },
    );

    await page.$eval('[data-login] input[name=token]', (el) => (el.value = ''));
    await signIn(page, api.url, TOKENS.viewer);
    const who = await page.$eval('[data-identity]', (el) => [
      el.getAttribute('data-identity'),
      el.getAttribute('data-role'),
    ]);
    assert.deepEqual(who, ['vera', 'viewer']);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('fleetwave.token')), TOKENS.viewer);
    assert.deepEqual(chrome.problems, []);
  });

  test('when a link carries #token=, then the user is signed in and the token is gone from the address bar', async () => {
    const page = await chrome.page();
    await page.goto(`${api.url}/ui/operations?state=running#token=${encodeURIComponent(TOKENS.approver)}`);
    await page.waitForSelector('[data-identity="abe"]', { timeout: WAIT_MS });
    assert.equal(page.url(), `${api.url}/ui/operations?state=running`);
    assert.equal(await page.evaluate(() => location.hash), '');
    assert.equal(await page.$('[data-login]'), null);
    assert.deepEqual(chrome.problems, []);
  });

  test('when the API refuses the token later, then the form shows again', async () => {
    const page = await chrome.page();
    await signIn(page, api.url, TOKENS.operator);
    // The fleet page has read every page of the inventory (other files' clusters too): nothing is in flight.
    await page.waitForSelector('[data-total]', { timeout: WAIT_MS });
    await page.evaluate(() => sessionStorage.setItem('fleetwave.token', 'revoked-token-1'));
    await page.click('#nav a[data-nav=operations]');
    await page.waitForFunction(
      () => /did not accept the token/.test(document.querySelector('[data-login-message]')?.textContent ?? ''),
      { timeout: WAIT_MS },
    );
    assert.equal(await page.evaluate(() => sessionStorage.getItem('fleetwave.token')), null);
  });

  test('when the API runs open, then the dashboard needs no sign-in and the user is dev, admin', async () => {
    const page = await chrome.page();
    await page.goto(`${open.url}/ui/`);
    await page.waitForSelector('[data-identity]', { timeout: WAIT_MS });
    const who = await page.$eval('[data-identity]', (el) => [
      el.getAttribute('data-identity'),
      el.getAttribute('data-role'),
    ]);
    assert.deepEqual(who, ['dev', 'admin']);
    assert.equal(await page.$('[data-login]'), null);
    assert.deepEqual(chrome.problems, []);
  });
});

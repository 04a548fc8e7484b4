// The plan preview in a real browser: a request pasted as YAML shows its dry-run plan as waves of cluster
// chips, a bad request shows the API's details, and an operator starts it and lands on its page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { call, TOKENS } from '../helpers/api';
import { uid } from '../helpers/env';
import { FAST_MONITOR, seedFleet, startEngine, type EngineStack } from '../helpers/engine';
import { browserSuite, useBrowser } from './helpers/browser';
import { signIn, waitForOperationState, WAIT_MS } from './helpers/dashboard';

/** Puts `text` in the request editor as if typed (the page keeps it as a draft). */
async function setSpec(page: Page, text: string) {
  await page.$eval(
    '[data-plan-spec]',
    (el, value) => {
      (el as HTMLTextAreaElement).value = value;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    text,
  );
}

browserSuite('the plan preview', () => {
  const chrome = useBrowser();
  let stack: EngineStack;
  before(async () => {
    stack = await startEngine();
  });
  after(async () => {
    await stack?.close();
  });

  test('when an operator previews a YAML request, then its waves show as chips, and starting it opens its page', async () => {
    const ids = await seedFleet(stack, 5, (i) => ({ version: i === 4 ? '3.7.1' : '3.6.0' }));
    const name = uid('plan');
    const yaml = [
      `name: ${name}`,
      'action: { type: upgrade, targetVersion: 3.7.1 }',
      `selector: { ids: [${ids.join(', ')}] }`,
      'waves:',
      `  - { name: canary, selector: { ids: [${ids[0]}] } }`,
      '  - { name: rest, maxParallel: 2 }',
      `monitor: ${JSON.stringify(FAST_MONITOR)}`,
    ].join('\n');
    const page = await chrome.page();
    await signIn(page, stack.api.url, TOKENS.operator, '/ui/plan');
    assert.equal(await page.$eval('[data-plan-action="start"]', (el) => (el as HTMLButtonElement).disabled), true);
    await setSpec(page, yaml);
    await page.click('[data-plan-action="preview"]');
    await page.waitForSelector('[data-plan-wave="2"]', { timeout: WAIT_MS });
    const waves = await page.$$eval('[data-plan-wave]', (sections) =>
      sections.map((s) => [...s.querySelectorAll('[data-cluster-id]')].map((c) => c.getAttribute('data-cluster-id'))),
    );
    assert.deepEqual(waves, [[ids[0]], ids.slice(1, 4)]);
    assert.match(
      await page.$eval('[data-plan-total]', (el) => el.textContent ?? ''),
      /4 clusters in 2 waves; 1 cluster skipped/,
    );

    await page.click('[data-plan-action="start"]');
    await page.waitForFunction(() => /^\/ui\/operations\/[^/]+$/.test(location.pathname), { timeout: WAIT_MS });
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    assert.ok(id.startsWith(name), id);
    await waitForOperationState(page, 'completed');
    const status = await call(stack.api.url, 'GET', `/v1/operations/${id}`);
    assert.equal(status.body.startedBy, 'olga');
    assert.equal(status.body.counts.succeeded, 4);
    assert.deepEqual(chrome.problems, []);
  });

  test('when a request is not valid, then the page shows the API’s reasons and offers no start', async () => {
    const page = await chrome.page();
    await signIn(page, stack.api.url, TOKENS.operator, '/ui/plan');
    await setSpec(
      page,
      JSON.stringify({ name: 'x', action: { type: 'upgrade' }, selector: { kind: 'kafka' }, colour: 1 }),
    );
    await page.click('[data-plan-action="preview"]');
    await page.waitForSelector('[data-plan-error="validation_failed"]', { timeout: WAIT_MS });
    const text = await page.$eval('[data-plan-error]', (el) => el.textContent ?? '');
    assert.match(text, /400 validation_failed/);
    assert.match(text, /colour/);
    assert.equal(await page.$eval('[data-plan-action="start"]', (el) => (el as HTMLButtonElement).disabled), true);

    await setSpec(page, 'name: [unclosed');
    await page.click('[data-plan-action="preview"]');
    await page.waitForSelector('[data-plan-error="parse"]', { timeout: WAIT_MS });
  });

  test('when a viewer previews, then the API’s 403 shows and no start is offered', async () => {
    const ids = await seedFleet(stack, 2);
    const page = await chrome.page();
    await signIn(page, stack.api.url, TOKENS.viewer, '/ui/plan');
    await setSpec(page, JSON.stringify({ name: 'view', action: { type: 'restart' }, selector: { ids } }));
    assert.match(await page.$eval('[data-plan-role]', (el) => el.textContent ?? ''), /operator role/);
    await page.click('[data-plan-action="preview"]');
    // Dry runs need the operator role too: the API's 403 shows.
    await page.waitForSelector('[data-plan-error]', { timeout: WAIT_MS });
    assert.match(await page.$eval('[data-plan-error]', (el) => el.textContent ?? ''), /403 forbidden/);
    assert.equal(await page.$eval('[data-plan-action="start"]', (el) => (el as HTMLElement).hidden), true);
  });
});

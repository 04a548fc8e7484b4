// The fleet page in a real browser: counts by cloud and environment, the version bar chart, the filters of
// GET /v1/clusters in the address bar, and a cluster's lease and recent runs on click.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { TOKENS } from '../helpers/api';
import { uid } from '../helpers/env';
import { seedFleet, startEngine, startOperation, waitForState, type EngineStack } from '../helpers/engine';
import { browserSuite, useBrowser } from './helpers/browser';
import { signIn, WAIT_MS } from './helpers/dashboard';

const CLOUDS = ['aws', 'gcp', 'azure'];
/** Five at 3.6.0, three at 3.6.1, one at 3.6.2. */
const versionOf = (i: number) => (i < 5 ? '3.6.0' : i < 8 ? '3.6.1' : '3.6.2');

browserSuite('the fleet page', () => {
  const chrome = useBrowser();
  let stack: EngineStack;
  /** This file's own kind: the page filtered by it shows these clusters alone. */
  const kind = uid('kind');
  let ids: string[];
  let opId: string;
  before(async () => {
    stack = await startEngine();
    ids = await seedFleet(stack, 9, (i) => ({
      kind,
      cloud: CLOUDS[i % 3],
      environment: i < 3 ? 'internal' : 'customer',
      version: versionOf(i),
      labels: { team: i % 2 ? 'core' : 'data' },
    }));
    const op = await startOperation(
      stack,
      { action: { type: 'restart' }, selector: { ids: ids.slice(0, 2) } },
      TOKENS.operator,
    );
    opId = op.id;
    await waitForState(stack, opId, 'completed');
  });
  after(async () => {
    await stack?.close();
  });

  const rows = (page: Page) =>
    page.$$eval('[data-list="clusters"] tr[data-cluster-id]', (trs) =>
      trs.map((tr) => tr.getAttribute('data-cluster-id')),
    );

  test('when the fleet is filtered by kind, then it is counted by cloud, environment and version', async () => {
    const page = await chrome.page();
    await signIn(page, stack.api.url, TOKENS.viewer, `/ui/?kind=${kind}`);
    await page.waitForSelector('[data-total]', { timeout: WAIT_MS });
    assert.equal(await page.$eval('[data-total]', (el) => el.getAttribute('data-total')), '9');
    assert.deepEqual((await rows(page)).sort(), [...ids].sort());
    const clouds = await page.$$eval('[data-breakdown="cloud"] a', (as) =>
      as.map((a) => [a.getAttribute('data-value'), a.textContent]),
    );
    assert.deepEqual(clouds.sort(), [
      ['aws', 'aws 3'],
      ['azure', 'azure 3'],
      ['gcp', 'gcp 3'],
    ]);
    const envs = await page.$$eval('[data-breakdown="environment"] a', (as) => as.map((a) => a.textContent));
    assert.deepEqual(envs, ['customer 6', 'internal 3']);

    const bars = await page.$$eval('[data-chart="versions"] li', (lis) =>
      lis.map((li) => [li.getAttribute('data-version'), Number(li.getAttribute('data-count'))]),
    );
    assert.deepEqual(bars, [
      ['3.6.0', 5],
      ['3.6.1', 3],
      ['3.6.2', 1],
    ]);
    assert.deepEqual(chrome.problems, []);
  });

  test('when a breakdown or the form narrows the fleet, then the address bar carries the REST filters', async () => {
    const page = await chrome.page();
    await signIn(page, stack.api.url, TOKENS.viewer, `/ui/?kind=${kind}`);
    await page.waitForSelector('[data-breakdown="cloud"] a[data-value="gcp"]', { timeout: WAIT_MS });
    await page.click('[data-breakdown="cloud"] a[data-value="gcp"]');
    await page.waitForSelector('[data-total="3"]', { timeout: WAIT_MS });
    assert.equal(new URL(page.url()).searchParams.get('cloud'), 'gcp');
    assert.deepEqual((await rows(page)).sort(), [ids[1], ids[4], ids[7]].sort());

    await page.$eval('[data-filters] input[name=labels]', (el) => (el.value = 'team=core'));
    await page.click('[data-filters] button[type=submit]');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('label.team') === 'core', {
      timeout: WAIT_MS,
    });
    await page.waitForSelector('[data-total="2"]', { timeout: WAIT_MS });
    assert.deepEqual((await rows(page)).sort(), [ids[1], ids[7]].sort());
    assert.equal(new URL(page.url()).searchParams.get('kind'), kind, 'earlier filters are kept');
  });

  test('when a cluster is clicked, then its lease and recent runs show, each run linking to its operation', async () => {
    const page = await chrome.page();
    await signIn(page, stack.api.url, TOKENS.viewer, `/ui/?kind=${kind}`);
    const first = ids[0]!;
    await page.waitForSelector(`[data-list="clusters"] tr[data-cluster-id="${first}"] button`, { timeout: WAIT_MS });
    await page.click(`[data-list="clusters"] tr[data-cluster-id="${first}"] button`);
    const run = `[data-cluster-detail] tr[data-cluster-id="${first}"][data-operation-id="${opId}"]`;
    await page.waitForSelector(run, { timeout: WAIT_MS });
    assert.equal(await page.$eval(run, (el) => el.getAttribute('data-state')), 'succeeded');
    assert.equal(await page.$eval('[data-cluster-detail] [data-lease]', (el) => el.getAttribute('data-lease')), '');
    await page.click(`${run} a`);
    await page.waitForSelector(`[data-operation-state="completed"]`, { timeout: WAIT_MS });
    assert.equal(new URL(page.url()).pathname, `/ui/operations/${opId}`);
    assert.deepEqual(chrome.problems, []);
  });
});

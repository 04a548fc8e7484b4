// The dashboard's screenshots in docs/images/, taken on a seeded demo fleet only when
// FLEETWAVE_SCREENSHOTS=1: the fleet page, an operation mid-rollout, and the plan preview.
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { demoFleet } from '../../domain/demo-fleet';
import { call, TOKENS } from '../helpers/api';
import { uid } from '../helpers/env';
import { startEngine, waitForStatus, type EngineStack } from '../helpers/engine';
import { browserSuite, NO_BROWSER, useBrowser } from './helpers/browser';
import { openOperation, signIn, WAIT_MS } from './helpers/dashboard';

const WANTED = process.env.FLEETWAVE_SCREENSHOTS === '1';
const IMAGES = path.join(__dirname, '..', '..', 'docs', 'images');

const suite =
  WANTED || NO_BROWSER
    ? browserSuite
    : (name: string) => test(name, { skip: 'set FLEETWAVE_SCREENSHOTS=1 to take the dashboard screenshots' });

suite('dashboard screenshots', () => {
  const chrome = useBrowser();
  let stack: EngineStack;
  /** A label only this run's fleet carries, so the pages show it alone. */
  const set = uid('demo');
  let request: Record<string, unknown>;

  before(async () => {
    stack = await startEngine();
    const fleet = demoFleet(60).map((cluster, i) => ({
      ...cluster,
      id: `${cluster.id}-${set.slice(5)}`,
      labels: { ...cluster.labels, set },
      adapter: {
        type: 'simulated' as const,
        // A quick rollout, and one cluster whose control plane refuses the change.
        config: { ...cluster.adapter.config, applyMs: 1500 + (i % 4) * 700, healthyAfterMs: 200, failApply: i === 42 },
      },
    }));
    const res = await call(stack.api.url, 'POST', '/v1/clusters', { body: { clusters: fleet } });
    if (res.status !== 201) throw new Error(`seeding failed: ${res.status} ${JSON.stringify(res.body)}`);
    request = {
      name: 'kafka-3.7.1',
      action: { type: 'upgrade', targetVersion: '3.7.1' },
      selector: { kind: 'kafka', versionBelow: '3.7.1', labels: { set } },
      waves: [
        { name: 'internal', selector: { environment: 'internal' }, maxParallel: 3 },
        {
          name: 'gcp-canary',
          selector: { environment: 'customer', cloud: 'gcp' },
          percent: 10,
          approval: 'manual',
          bakeSeconds: 2,
        },
        { name: 'rest', maxParallel: 6, maxFailures: 2 },
      ],
      monitor: { timeoutSeconds: 30, intervalSeconds: 0.5, stableChecks: 2 },
    };
    fs.mkdirSync(IMAGES, { recursive: true });
  });
  after(async () => {
    await stack?.close();
  });

  test('when the plan of the demo rollout is previewed, then the page is captured', async () => {
    const page = await chrome.page();
    await signIn(page, stack.api.url, TOKENS.operator, '/ui/plan');
    await page.$eval(
      '[data-plan-spec]',
      (el, text) => ((el as HTMLTextAreaElement).value = text),
      JSON.stringify(request, null, 2),
    );
    await page.click('[data-plan-action="preview"]');
    await page.waitForSelector('[data-plan-wave="3"] .chip', { timeout: WAIT_MS });
    await page.screenshot({ path: path.join(IMAGES, 'dashboard-plan.png'), fullPage: true });
  });

  test('when the demo rollout is half done, then its page and the fleet page are captured', async () => {
    const started = await call(stack.api.url, 'POST', '/v1/operations', { token: TOKENS.operator, body: request });
    const id = started.body.id as string;
    await waitForStatus(stack, id, (s) => s.state === 'awaiting_approval', WAIT_MS);
    await call(stack.api.url, 'POST', `/v1/operations/${id}/approve`, {
      token: TOKENS.approver,
      body: { wave: 2, comment: 'internal wave healthy, go for the canary' },
    });
    const page = await chrome.page();
    await openOperation(page, stack.api.url, TOKENS.admin, id);
    await waitForStatus(
      stack,
      id,
      (s) => s.currentWave === 3 && s.counts.succeeded >= 28 && s.counts.failed >= 1,
      120_000,
    );
    // Two seconds for the page's next run pages.
    await new Promise((r) => setTimeout(r, 2500));
    // The failed cluster selected: its run shows beside the heatmap.
    await page.click('[data-failed] tr[data-state="failed"] button.link');
    await page.waitForSelector('[data-selected-cluster]', { timeout: WAIT_MS });
    await page.screenshot({ path: path.join(IMAGES, 'dashboard-operation.png'), fullPage: true });

    const fleet = await chrome.page();
    await signIn(fleet, stack.api.url, TOKENS.viewer, `/ui/?label.set=${set}`);
    await fleet.waitForSelector('[data-chart="versions"] li', { timeout: WAIT_MS });
    const first = await fleet.$eval('[data-list="clusters"] tr[data-cluster-id]', (el) =>
      el.getAttribute('data-cluster-id'),
    );
    await fleet.click(`[data-list="clusters"] tr[data-cluster-id="${first}"] button`);
    await fleet.waitForSelector('[data-cluster-detail] h2', { timeout: WAIT_MS });
    await fleet.screenshot({ path: path.join(IMAGES, 'dashboard-fleet.png') });
    await waitForStatus(stack, id, (s) => ['completed', 'paused', 'failed'].includes(s.state), 180_000);
  });
});

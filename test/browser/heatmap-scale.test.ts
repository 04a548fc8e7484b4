// The heatmap of an operation over 10,000 clusters in a real browser: every cluster gets a cell on the
// canvas and an item in the accessible list, hovering a cell tells its run and clicking selects it. The
// time the canvas took to draw is reported (as a diagnostic, not a threshold).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, TOKENS } from '../helpers/api';
import { uid } from '../helpers/env';
import { seedFleet, startEngine, startOperation, type EngineStack } from '../helpers/engine';
import { browserSuite, useBrowser } from './helpers/browser';
import { openOperation, waitForWave, WAIT_MS } from './helpers/dashboard';

const CLUSTERS = 10_000;
/** The most clusters one POST /v1/clusters takes. */
const BULK = 5000;

browserSuite('the heatmap at 10,000 clusters', () => {
  const chrome = useBrowser();
  let stack: EngineStack;
  const kind = uid('scale');
  before(async () => {
    stack = await startEngine();
    for (let seeded = 0; seeded < CLUSTERS; seeded += BULK) await seedFleet(stack, BULK, () => ({ kind }));
  });
  after(async () => {
    // Ten thousand clusters are more than other test files should have to page past in the shared database.
    await stack?.db.query('DELETE FROM clusters WHERE kind = $1', [kind]);
    await stack?.close();
  });

  test('when an operation covers 10,000 clusters, then each has a cell, and hover and click tell its run', async (t) => {
    // The gate holds every cluster pending: the page is looked at, nothing runs.
    const op = await startOperation(
      stack,
      {
        action: { type: 'restart' },
        selector: { kind },
        waves: [{ name: 'all', approval: 'manual', maxParallel: 50 }],
      },
      TOKENS.operator,
    );
    const page = await chrome.page();
    await openOperation(page, stack.api.url, TOKENS.viewer, op.id);
    await waitForWave(page, 1, 'awaiting_approval');
    await page.waitForSelector(`canvas[data-heatmap][data-cells="${CLUSTERS}"]`, { timeout: WAIT_MS });
    const items = await page.$$eval(
      '[data-heatmap-list] li[data-cluster-id][data-state="pending"]',
      (lis) => lis.length,
    );
    assert.equal(items, CLUSTERS);
    const drawMs = Number(await page.$eval('canvas[data-heatmap]', (el) => el.getAttribute('data-draw-ms')));
    assert.ok(Number.isFinite(drawMs));
    t.diagnostic(`the canvas drew ${CLUSTERS.toLocaleString('en')} cells in ${drawMs} ms`);

    // The first cell sits just under the wave's label, at the canvas's left edge.
    const box = (await (await page.$('canvas[data-heatmap]'))!.boundingBox())!;
    await page.mouse.move(box.x + 3, box.y + 22 + 3);
    await page.waitForSelector('[data-heatmap-tip]:not([hidden])', { timeout: WAIT_MS });
    const tip = await page.$eval('[data-heatmap-tip]', (el) => el.textContent ?? '');
    const first = await page.$eval('[data-heatmap-list] li[data-cluster-id]', (el) =>
      el.getAttribute('data-cluster-id')!,
    );
    assert.match(tip, new RegExp(`^${first}state: pendingversion: 3\\.6\\.0 → \\?attempts: 0`));
    await page.mouse.click(box.x + 3, box.y + 22 + 3);
    await page.waitForSelector(`[data-selected-cluster="${first}"][data-state="pending"]`, { timeout: WAIT_MS });

    const cancelled = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/cancel`, { token: TOKENS.operator });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.deepEqual(chrome.problems, []);
  });
});

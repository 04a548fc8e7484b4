// Actions from an operation's page in a real browser: an approver approves the gated wave with a comment
// (a viewer and an operator see no approve button), an operator retries a failed cluster, and the page
// shows each route's answer, refusals included.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, TOKENS } from '../helpers/api';
import { seedFleet, startEngine, startOperation, waitForStatus, type EngineStack } from '../helpers/engine';
import { browserSuite, useBrowser } from './helpers/browser';
import {
  clickAction,
  openOperation,
  waitForCell,
  waitForOperationState,
  waitForWave,
  WAIT_MS,
} from './helpers/dashboard';

const sim = (config: Record<string, unknown>) => ({
  adapter: { type: 'simulated', config: { applyMs: 50, ...config } },
});

browserSuite('actions from the operation page', () => {
  const chrome = useBrowser();
  let stack: EngineStack;
  before(async () => {
    stack = await startEngine();
  });
  after(async () => {
    await stack?.close();
  });

  test('when a wave waits for approval, then only an approver gets the button, and approving it with a comment lets it run', async () => {
    const ids = await seedFleet(stack, 4, () => sim({}));
    const op = await startOperation(
      stack,
      {
        action: { type: 'restart' },
        selector: { ids },
        waves: [
          { name: 'first', selector: { ids: ids.slice(0, 2) } },
          { name: 'gated', approval: 'manual' },
        ],
      },
      TOKENS.operator,
    );
    const viewer = await chrome.page();
    const operator = await chrome.page();
    const approver = await chrome.page();
    await openOperation(viewer, stack.api.url, TOKENS.viewer, op.id);
    await openOperation(operator, stack.api.url, TOKENS.operator, op.id);
    await openOperation(approver, stack.api.url, TOKENS.approver, op.id);
    for (const page of [viewer, operator, approver]) await waitForWave(page, 2, 'awaiting_approval');

    await approver.waitForSelector('[data-wave="2"] [data-action="approve"]', { timeout: WAIT_MS });
    assert.equal(await viewer.$('[data-action="approve"]'), null, 'a viewer may not approve');
    assert.equal(await operator.$('[data-action="approve"]'), null, 'an operator may not approve');
    assert.equal(await approver.$('[data-wave="1"] [data-action="approve"]'), null, 'only the waiting wave offers it');
    assert.equal(await approver.$('[data-action="pause"]'), null, 'an approver may not pause');

    await approver.type('[data-wave="2"] input[name=comment]', 'first wave healthy');
    const answer = await clickAction(approver, '[data-wave="2"] [data-action="approve"]');
    assert.equal(answer.status, '200', answer.text);
    assert.match(answer.text, /applied: wave 2 approved/);
    await waitForOperationState(approver, 'completed');
    const approval = await approver.$eval('[data-wave="2"] [data-approval]', (el) => el.textContent ?? '');
    assert.match(approval, /approved by abe .*first wave healthy/);
    assert.equal(await approver.$('[data-action="approve"]'), null, 'no approve button once approved');
    // The viewer's page followed live.
    await waitForWave(viewer, 2, 'completed');
    assert.deepEqual(chrome.problems, []);
  });

  test('when a cluster fails and is fixed, then an operator retries it from the page, it waits for the next wave and succeeds', async () => {
    const ids = await seedFleet(stack, 3, (i) => sim(i === 0 ? { failApply: true } : {}));
    const [failing] = ids as [string];
    // The gate of the second wave keeps the operation active after the first wave's failure.
    const op = await startOperation(
      stack,
      {
        action: { type: 'restart' },
        selector: { ids },
        defaults: { maxFailures: 1 },
        waves: [
          { name: 'first', selector: { ids: ids.slice(0, 2) } },
          { name: 'gated', approval: 'manual' },
        ],
      },
      TOKENS.operator,
    );
    await waitForStatus(stack, op.id, (s) => s.state === 'awaiting_approval' && s.counts.failed === 1);
    const page = await chrome.page();
    await openOperation(page, stack.api.url, TOKENS.operator, op.id);
    const row = `[data-failed] tr[data-cluster-id="${failing}"][data-state="failed"]`;
    await page.waitForSelector(row, { timeout: WAIT_MS });
    assert.match(await page.$eval(`${row} .error`, (el) => el.textContent ?? ''), /failApply/);
    await waitForCell(page, failing, ['failed']);

    const fixed = await call(stack.api.url, 'PATCH', `/v1/clusters/${failing}`, { body: sim({}) });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    const retried = await clickAction(page, `${row} [data-action="retry"]`);
    assert.equal(retried.status, '200', retried.text);
    assert.match(retried.text, /applied/);
    // Re-queued: it runs with the next wave that starts, once the gate is passed.
    await waitForCell(page, failing, ['pending']);
    assert.equal(await page.$(`[data-failed] tr[data-cluster-id="${failing}"]`), null, 'no longer listed as failed');
    const approved = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/approve`, {
      token: TOKENS.approver,
      body: { wave: 2 },
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await waitForCell(page, failing, ['succeeded']);

    // Selected from the list, its run shows with no retry left to offer.
    await page.click(`[data-heatmap-list] summary`);
    await page.click(`[data-heatmap-list] button[data-select="${failing}"]`);
    await page.waitForSelector(`[data-selected-cluster="${failing}"][data-state="succeeded"]`, { timeout: WAIT_MS });
    assert.equal(await page.$('[data-run-panel] [data-action="retry"]'), null);
    await waitForOperationState(page, 'completed');
    assert.deepEqual(chrome.problems, []);
  });

  test('when an action is refused, then the page shows the status, the code and the reason', async () => {
    const ids = await seedFleet(stack, 2, () => sim({}));
    // Started by ada (admin), who may approve but not her own operation.
    const op = await startOperation(
      stack,
      { action: { type: 'restart' }, selector: { ids }, waves: [{ name: 'gated', approval: 'manual' }] },
      TOKENS.admin,
    );
    const page = await chrome.page();
    page.on('dialog', (dialog) => void dialog.accept());
    await openOperation(page, stack.api.url, TOKENS.admin, op.id);
    await waitForWave(page, 1, 'awaiting_approval');

    const notPaused = await clickAction(page, '[data-action="resume"]');
    assert.equal(notPaused.status, '409', notPaused.text);
    assert.match(notPaused.text, /409 not_paused: /);
    const own = await clickAction(page, '[data-wave="1"] [data-action="approve"]');
    assert.equal(own.status, '403', own.text);
    assert.match(own.text, /403 self_approval_forbidden: 'ada' started operation/);

    const parallel = await page.$eval('[data-parallel] input[name=maxParallel]', (el) => el.value);
    assert.equal(parallel, '1');
    await page.$eval('[data-parallel] input[name=maxParallel]', (el) => (el.value = '4'));
    const set = await clickAction(page, '[data-action="set-parallel"]');
    assert.equal(set.status, '200', set.text);
    assert.match(set.text, /maxParallel is now 4/);

    const cancelled = await clickAction(page, '[data-action="cancel"]');
    assert.equal(cancelled.status, '200', cancelled.text);
    await waitForOperationState(page, 'cancelled');
    assert.equal(await page.$('[data-controls]:not([hidden])'), null, 'no controls once it has ended');
    assert.deepEqual(chrome.problems, []);
  });
});

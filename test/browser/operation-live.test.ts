// One operation's page in a real browser, live from the status stream: cells change state as clusters
// roll, the waves' blocks follow, the operations list shows progress and who started it, and an operator
// pauses and resumes from the page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, TOKENS } from '../helpers/api';
import { uid } from '../helpers/env';
import { seedFleet, startEngine, startOperation, type EngineStack } from '../helpers/engine';
import { browserSuite, useBrowser } from './helpers/browser';
import {
  cellChanges,
  cellStates,
  clickAction,
  openOperation,
  recordCellChanges,
  waitForCell,
  waitForOperationState,
  waitForWave,
  WAIT_MS,
} from './helpers/dashboard';

const sim = (config: Record<string, unknown>) => ({
  adapter: { type: 'simulated', config: { applyMs: 50, ...config } },
});

browserSuite('an operation, live', () => {
  const chrome = useBrowser();
  let stack: EngineStack;
  before(async () => {
    stack = await startEngine();
  });
  after(async () => {
    await stack?.close();
  });

  test('when a viewer watches an operation roll out, then its cells change state live until it completes', async () => {
    const ids = await seedFleet(stack, 6, () => sim({ applyMs: 300 }));
    const name = uid('live');
    // The manual gate holds every cluster pending until the page shows them all.
    const op = await startOperation(
      stack,
      {
        name,
        action: { type: 'restart' },
        selector: { ids },
        defaults: { maxParallel: 2 },
        waves: [{ name: 'all', approval: 'manual' }],
      },
      TOKENS.operator,
    );
    const page = await chrome.page();
    await openOperation(page, stack.api.url, TOKENS.viewer, op.id);
    await waitForWave(page, 1, 'awaiting_approval');
    for (const id of ids) await waitForCell(page, id, ['pending']);
    assert.equal(await page.$('[data-action]'), null, 'a viewer gets no action button');
    await recordCellChanges(page);

    const approved = await call(stack.api.url, 'POST', `/v1/operations/${op.id}/approve`, {
      token: TOKENS.approver,
      body: { wave: 1 },
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));

    await waitForOperationState(page, 'completed');
    await waitForWave(page, 1, 'completed');
    for (const id of ids) await waitForCell(page, id, ['succeeded']);
    const changes = await cellChanges(page);
    for (const id of ids)
      assert.ok(changes.includes(`${id}:succeeded`), `${id} turned succeeded on the page: ${changes.join(' ')}`);
    assert.ok(
      changes.some((c) => /:(applying|monitoring)$/.test(c)),
      `some cell showed a cluster in flight: ${changes.join(' ')}`,
    );
    await page.waitForSelector('[data-link="finished"]', { timeout: WAIT_MS });
    assert.equal(await page.$eval('[data-progress]', (el) => el.getAttribute('data-progress')), `6/6`);

    // The list of operations shows it, with its progress and who started it.
    await page.goto(`${stack.api.url}/ui/operations?name=${name}`);
    const row = `tr[data-operation-id="${op.id}"]`;
    await page.waitForFunction(
      (sel) => document.querySelector(`${sel} [data-cell=started-by]`)?.textContent === 'olga',
      { timeout: WAIT_MS },
      row,
    );
    assert.equal(await page.$eval(row, (el) => el.getAttribute('data-state')), 'completed');
    assert.match(await page.$eval(`${row} [data-cell=progress]`, (el) => el.textContent ?? ''), /6\/6/);
    assert.deepEqual(chrome.problems, []);
  });

  test('when an operator pauses and resumes from the page, then each answer shows and the operation completes', async () => {
    const ids = await seedFleet(stack, 5, () => sim({ applyMs: 1500 }));
    const op = await startOperation(
      stack,
      { action: { type: 'restart' }, selector: { ids }, defaults: { maxParallel: 1 } },
      TOKENS.operator,
    );
    const page = await chrome.page();
    await openOperation(page, stack.api.url, TOKENS.operator, op.id);
    assert.equal(await page.$('[data-action="approve"]'), null, 'an operator may not approve');

    await page.type('input[name=reason]', 'checking lag');
    const paused = await clickAction(page, '[data-action="pause"]');
    assert.equal(paused.status, '200', paused.text);
    assert.match(paused.text, /applied/);
    await waitForOperationState(page, 'paused');
    const reason = await page.$eval('[data-pause-reason]', (el) => [
      el.getAttribute('data-pause-reason'),
      el.textContent,
    ]);
    assert.equal(reason[0], 'operator');
    assert.match(reason[1] ?? '', /Paused by an operator/);

    const resumed = await clickAction(page, '[data-action="resume"]');
    assert.equal(resumed.status, '200', resumed.text);
    await waitForOperationState(page, 'completed');
    for (const id of ids) await waitForCell(page, id, ['succeeded']);
    assert.deepEqual(Object.keys(await cellStates(page)).sort(), ids);
    assert.equal(await page.$('[data-controls]:not([hidden])'), null, 'no controls once it has finished');
    assert.deepEqual(chrome.problems, []);
  });
});

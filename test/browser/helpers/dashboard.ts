// What the browser tests do on the dashboard: sign in, read cells and waves, click actions, wait for states.
import type { Page } from 'puppeteer-core';

/** Deadlines of the waits below: generous, since the machine may be busy; they only bound a failure. */
export const WAIT_MS = 60_000;

/** Opens `path` and signs in through the form with `token`; resolves once the pages show. */
export async function signIn(page: Page, base: string, token: string, path = '/ui/'): Promise<void> {
  await page.goto(`${base}${path}`);
  await page.waitForSelector('[data-login] input[name=token]', { timeout: WAIT_MS });
  await page.type('[data-login] input[name=token]', token);
  await page.click('[data-login] button[type=submit]');
  await page.waitForSelector('[data-identity]', { timeout: WAIT_MS });
}

/** Opens an operation's page signed in with `token` (through a #token= link, the quickest way in). */
export async function openOperation(page: Page, base: string, token: string, id: string): Promise<void> {
  await page.goto(`${base}/ui/operations/${encodeURIComponent(id)}#token=${encodeURIComponent(token)}`);
  await page.waitForSelector('[data-identity]', { timeout: WAIT_MS });
  await page.waitForSelector('[data-operation-state]', { timeout: WAIT_MS });
}

/** Every cell of the accessible list: cluster id → run state. */
export function cellStates(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-heatmap-list] li[data-cluster-id]', (items) =>
    Object.fromEntries(items.map((li) => [li.getAttribute('data-cluster-id'), li.getAttribute('data-state')])),
  );
}

/** Waits until the cell of `clusterId` is in one of `states`. */
export async function waitForCell(page: Page, clusterId: string, states: string[]): Promise<void> {
  await page.waitForFunction(
    (id, wanted) => {
      const li = document.querySelector(`[data-heatmap-list] li[data-cluster-id="${id}"]`);
      return li !== null && wanted.includes(li.getAttribute('data-state') ?? '');
    },
    { timeout: WAIT_MS },
    clusterId,
    states,
  );
}

/** Waits until the page shows the operation in `state`. */
export async function waitForOperationState(page: Page, state: string): Promise<void> {
  await page.waitForSelector(`[data-operation-state="${state}"]`, { timeout: WAIT_MS });
}

/** Waits for the wave block `wave` to be in `state`. */
export async function waitForWave(page: Page, wave: number, state: string): Promise<void> {
  await page.waitForSelector(`[data-wave="${wave}"][data-state="${state}"]`, { timeout: WAIT_MS });
}

/** Clicks an action button and waits for its answer line; returns its status and text. */
export async function clickAction(page: Page, selector: string): Promise<{ status: string; text: string }> {
  await page.evaluate(() => document.querySelector('.action-result')?.removeAttribute('data-status'));
  await page.click(selector);
  await page.waitForSelector('.action-result[data-status]', { timeout: WAIT_MS });
  return page.$eval('.action-result', (el) => ({
    status: el.getAttribute('data-status') ?? '',
    text: el.textContent ?? '',
  }));
}

/** Records every data-state a cell of the accessible list takes from now on, in the page. */
export async function recordCellChanges(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { cellChanges: string[] }).cellChanges = seen;
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.target as Element;
        if (el.matches('[data-heatmap-list] li[data-cluster-id]'))
          seen.push(`${el.getAttribute('data-cluster-id')}:${el.getAttribute('data-state')}`);
      }
    }).observe(document.body, { attributes: true, attributeFilter: ['data-state'], subtree: true });
  });
}

export const cellChanges = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as { cellChanges: string[] }).cellChanges);

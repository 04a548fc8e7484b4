// A real Chromium for the dashboard's tests, driven through puppeteer-core (which downloads no browser):
// scripts/lib/chromium.ts finds it. Without one, the suites skip and say how
// to install it.
// The tests' page.evaluate() callbacks run in the page: they are typed with the DOM's globals.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { after, before, describe } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CHROMIUM_ARGS, findChromium } from '../../../scripts/lib/chromium';

const chromium = findChromium();

/** Why the browser suites skip, or false when a browser was found. */
export const NO_BROWSER: string | false = chromium
  ? false
  : process.env.CHROMIUM_PATH
    ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist: the dashboard's browser tests are skipped`
    : 'no Chromium found (set CHROMIUM_PATH, or put chromium on PATH: apt-get install -y chromium): the dashboard’s browser tests are skipped';

if (NO_BROWSER) console.error(`test/browser: ${NO_BROWSER}`);

/** `describe` that skips, with the reason, when there is no browser. */
export function browserSuite(name: string, fn: () => void): void {
  void describe(name, { skip: NO_BROWSER }, fn);
}

export interface TestBrowser {
  browser: Browser;
  /** A fresh page in its own context (its own sessionStorage), whose errors are collected. */
  page(): Promise<Page>;
  /** Uncaught page errors and CSP violations seen so far, on any page. */
  problems: string[];
}

/** One browser for the suite (call inside browserSuite): launched before its tests, closed after them. */
export function useBrowser(): TestBrowser {
  const handle = { problems: [] as string[] } as TestBrowser;
  before(async () => {
    handle.browser = await puppeteer.launch({
      executablePath: chromium!,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    handle.page = async () => {
      const context = await handle.browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      page.on('pageerror', (err) => handle.problems.push(`page error: ${String(err)}`));
      page.on('console', (msg) => {
        if (/Content[- ]Security[- ]Policy/i.test(msg.text())) handle.problems.push(`CSP: ${msg.text()}`);
      });
      return page;
    };
  });
  after(async () => {
    await handle.browser?.close();
  });
  return handle;
}

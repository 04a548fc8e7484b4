// The dashboard's cost for a large operation, printed by the bench (never asserted): how long a real
// Chromium takes from opening an operation's page to showing every cluster on its heatmap.
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, findChromium } from '../lib/chromium';

export type HeatmapTiming = { pageMs: number; drawMs: number } | { skipped: string };

export async function heatmapTiming(apiUrl: string, operationId: string, clusters: number): Promise<HeatmapTiming> {
  const executablePath = findChromium();
  if (!executablePath) return { skipped: 'no Chromium (CHROMIUM_PATH, or chromium on PATH)' };
  const browser = await puppeteer.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const started = performance.now();
    await page.goto(`${apiUrl}/ui/operations/${operationId}`);
    await page.waitForSelector(`canvas[data-heatmap][data-cells="${clusters}"]`, { timeout: 120_000 });
    const pageMs = performance.now() - started;
    const drawMs = Number(await page.$eval('canvas[data-heatmap]', (el) => el.getAttribute('data-draw-ms')));
    return { pageMs, drawMs };
  } finally {
    await browser.close();
  }
}

/**
 * The demo page in Chromium (Debian's /usr/bin/chromium through playwright-core; never a downloaded
 * browser): load it from the real server, upload a photo, read the rendered top-5 and compare it with
 * the API's answer for the same bytes. The screenshot is saved to test/.cache/page-demo.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../src/core/decode.js';
import {
  DEFAULT_MODEL,
  PHOTOS_DIR,
  ROOT,
  type ServerProcess,
  ensureDefaultModel,
  startServerProcess,
} from './server-process.js';

const CACHE = join(ROOT, 'test/.cache');

describe('the demo page', () => {
  let server: ServerProcess;
  let browser: Browser;

  beforeAll(async () => {
    await ensureDefaultModel();
    server = await startServerProcess();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('classifies an uploaded photo and shows the top-5 with scores and timings', async () => {
    const photo = join(PHOTOS_DIR, 'jemma.png');
    const api = (await (
      await fetch(`${server.url}/v1/models/${DEFAULT_MODEL}/classify?top=5`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: readFileSync(photo),
      })
    ).json()) as { results: { predictions: Prediction[] }[] };

    const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(server.url);
    expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    await page.waitForSelector('body[data-state="idle"]');
    expect(await page.locator('#model').inputValue()).toBe(DEFAULT_MODEL);

    await page.setInputFiles('#file', photo);
    await page.waitForSelector('body[data-state="done"]', { timeout: 30_000 });
    const rendered = await page.locator('#predictions .prediction').evaluateAll((items) =>
      items.map((item) => ({
        label: item.querySelector('.label')?.textContent,
        score: Number((item.querySelector('.score') as HTMLElement).dataset.score),
        text: item.querySelector('.score')?.textContent,
        width: (item.querySelector('.bar span') as HTMLElement).style.width,
      })),
    );
    const expected = api.results[0]!.predictions;
    expect(rendered.map((r) => r.label)).toEqual(expected.map((p) => p.label));
    rendered.forEach((r, i) => {
      expect(r.score).toBeCloseTo(expected[i]!.score, 6);
      expect(r.text).toBe(`${(expected[i]!.score * 100).toFixed(2)}%`);
      expect(r.width).toBe(`${(expected[i]!.score * 100).toFixed(2)}%`);
    });
    expect(await page.locator('#timing').textContent()).toMatch(
      new RegExp(`^${DEFAULT_MODEL} on cpu: [\\d.]+ ms on the server`),
    );

    mkdirSync(CACHE, { recursive: true });
    await page.screenshot({ path: join(CACHE, 'page-demo.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('shows a problem from the API as an error', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="idle"]');
    await page.setInputFiles('#file', {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not an image'),
    });
    await page.waitForSelector('body[data-state="error"]');
    expect(await page.locator('#status').textContent()).toMatch(/^Unsupported media type: /);
  });
});

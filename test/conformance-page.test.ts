/**
 * The demo page's "in this browser" mode on WebGPU: Chromium with its SwiftShader WebGPU adapter (no GPU
 * needed, slow) runs the model on WebGPU, the page says so in words with no fallback note, and the
 * top-5 equal the server's answer for the same bytes. (WASM, the Worker, the progress bar and the
 * screenshots: test/page.test.ts.) Screenshot: test/.cache/page/node-desktop-webgpu.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPage } from '../functions/browser/build.js';
import { silentLogger } from '../src/app/logger.js';
import { pageAssets } from '../src/runtime/node/page-assets.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';
import { type RunningServer, startServer } from '../src/runtime/node/server.js';
import { CACHE_DIR, PHOTOS_DIR, conformanceModel, launchChromium } from './conformance-runners.js';

describe('the demo page classifies in the browser on WebGPU when there is an adapter', () => {
  let server: RunningServer;
  let pageDir: string;
  let model: string;
  const photo = join(PHOTOS_DIR, 'jemma.png');
  let api: { label: string; score: number }[];

  beforeAll(async () => {
    const built = await conformanceModel();
    model = built.manifest.name;
    pageDir = mkdtempSync(join(tmpdir(), 'netlens-page-'));
    await buildPage(pageDir);
    server = await startServer({
      settings: readNodeSettings(
        {},
        { port: 0, host: '127.0.0.1', modelsDir: built.dir, defaultModel: model },
      ).settings,
      assets: pageAssets(pageDir),
      logger: silentLogger,
    });
    const answer = (await (
      await fetch(`${server.url}/v1/models/${model}/classify`, { method: 'POST', body: readFileSync(photo) })
    ).json()) as { results: { predictions: { label: string; score: number }[] }[] };
    api = answer.results[0]!.predictions;
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    if (pageDir) rmSync(pageDir, { recursive: true, force: true });
  });

  it('runs WebGPU (SwiftShader) and says so', async () => {
    const browser = await launchChromium(true);
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(server.url);
      await page.waitForSelector('body[data-state="idle"]', { timeout: 60_000 });
      await page.getByRole('radio', { name: 'In this browser' }).check();
      await page.setInputFiles('#file', photo);
      await page.waitForFunction(
        () => document.body.dataset.state === 'done' || document.body.dataset.state === 'error',
        null,
        { timeout: 280_000 },
      );
      expect(await page.locator('#status').innerText()).toMatch(/^jemma\.png: /);
      expect(await page.locator('#engine').innerText()).toBe(
        'In this browser: onnxruntime-web on WebGPU (GPU adapter found)',
      );
      expect(await page.locator('#engine').getAttribute('data-provider')).toBe('webgpu');
      expect(await page.locator('#engine-note').isHidden()).toBe(true);
      const shown = await page.locator('#predictions .prediction').evaluateAll((items) =>
        items.map((item) => ({
          label: (item as HTMLElement).dataset.label!,
          score: Number((item.querySelector('.score') as HTMLElement).dataset.score),
        })),
      );
      expect(shown.map((p) => p.label)).toEqual(api.map((p) => p.label));
      shown.forEach((p, i) => expect(Math.abs(p.score - api[i]!.score)).toBeLessThanOrEqual(1e-5));
      mkdirSync(join(CACHE_DIR, 'page'), { recursive: true });
      await page.screenshot({ path: join(CACHE_DIR, 'page/node-desktop-webgpu.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 300_000);
});

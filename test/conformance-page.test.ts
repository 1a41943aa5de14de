/**
 * The demo page's "classify in this browser" mode in headless Chromium, served by the real Node server
 * (COOP/COEP): without WebGPU it runs WASM and says so in a visible note; with Chromium's SwiftShader
 * WebGPU adapter it reports WebGPU. Either way the top-5 equal the server's answer for the same bytes.
 * Screenshots: test/.cache/in-browser-wasm.png, test/.cache/in-browser-webgpu.png.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/app/logger.js';
import { buildPage } from '../functions/browser/build.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';
import { type RunningServer, startServer } from '../src/runtime/node/server.js';
import { PAGE_OUT } from '../src/runtime/node/page-assets.js';
import {
  CACHE_DIR,
  PHOTOS_DIR,
  conformanceModel,
  launchChromium,
  startTestWorker,
} from './conformance-runners.js';

interface Shown {
  engine: string;
  provider: string | undefined;
  note: string | null;
  timing: string;
  predictions: { label: string; score: number }[];
}

describe('the demo page classifies in the browser', () => {
  let server: RunningServer;
  let model: string;
  let modelsDir: string;
  const photo = join(PHOTOS_DIR, 'jemma.png');
  let api: { label: string; score: number }[];

  beforeAll(async () => {
    const built = await conformanceModel();
    model = built.manifest.name;
    modelsDir = built.dir;
    await buildPage(PAGE_OUT); // the page bundle includes src/runtime/web: always rebuild it here
    server = await startServer({
      settings: readNodeSettings(
        {},
        { port: 0, host: '127.0.0.1', modelsDir: built.dir, defaultModel: model },
      ).settings,
      logger: silentLogger,
    });
    const answer = (await (
      await fetch(`${server.url}/v1/models/${model}/classify`, { method: 'POST', body: readFileSync(photo) })
    ).json()) as { results: { predictions: { label: string; score: number }[] }[] };
    api = answer.results[0]!.predictions;
  }, 600_000);

  afterAll(async () => {
    await server?.close();
  });

  async function classifyInPage(browser: Browser, screenshot: string, url = server.url): Promise<Shown> {
    const page = await browser.newPage({ viewport: { width: 900, height: 1300 } });
    const errors: string[] = [];
    const crashed = new Promise<never>((_, reject) =>
      page.on('pageerror', (error) => {
        errors.push(error.message);
        reject(new Error(`page error: ${error.message}`));
      }),
    );
    await page.goto(url);
    await page.setInputFiles('#in-browser-file', photo);
    // Predictions, or the page's own failure message — never a silent wait for the timeout.
    await Promise.race([
      crashed,
      page.waitForFunction(
        () =>
          document.querySelector('#in-browser-predictions li') !== null ||
          /failed/.test(document.querySelector('#in-browser-status')?.textContent ?? ''),
        null,
        { timeout: 240_000 },
      ),
    ]);
    expect(await page.locator('#in-browser-status').textContent()).not.toMatch(/failed/);
    const shown = await page.evaluate(() => ({
      engine: document.querySelector('#in-browser-engine')!.textContent ?? '',
      provider: (document.querySelector('#in-browser-engine') as HTMLElement).dataset.provider,
      note: (document.querySelector('#in-browser-note') as HTMLElement).hidden
        ? null
        : document.querySelector('#in-browser-note')!.textContent,
      timing: document.querySelector('#in-browser-timing')!.textContent ?? '',
      predictions: [...document.querySelectorAll<HTMLElement>('#in-browser-predictions li')].map((li) => ({
        label: li.dataset.label!,
        score: Number(li.dataset.score),
      })),
    }));
    await page.screenshot({ path: join(CACHE_DIR, screenshot), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
    expect(shown.predictions.map((p) => p.label)).toEqual(api.map((p) => p.label));
    shown.predictions.forEach((p, i) => expect(Math.abs(p.score - api[i]!.score)).toBeLessThanOrEqual(1e-5));
    expect(shown.timing).toMatch(
      /model load \d+ ms; decode [\d.]+ ms, preprocess [\d.]+ ms, inference [\d.]+ ms/,
    );
    return shown;
  }

  it('falls back to WASM with a visible note when the browser has no WebGPU adapter', async () => {
    const browser = await launchChromium(false);
    try {
      const shown = await classifyInPage(browser, 'in-browser-wasm.png');
      expect(shown.provider).toBe('wasm');
      expect(shown.engine).toMatch(/onnxruntime-web on WASM \(\d threads?\)/);
      expect(shown.note).toMatch(/^Using WASM: .*(WebGPU|adapter)/);
    } finally {
      await browser.close();
    }
  }, 300_000);

  it('runs WebGPU when Chromium has an adapter (SwiftShader) and says so', async () => {
    const browser = await launchChromium(true);
    try {
      const shown = await classifyInPage(browser, 'in-browser-webgpu.png');
      expect(shown.provider).toBe('webgpu');
      expect(shown.engine).toBe('Engine: onnxruntime-web on WebGPU');
      expect(shown.note).toBeNull();
    } finally {
      await browser.close();
    }
  }, 300_000);

  it('works on the page served by the Worker (ORT JSEP WASM stored in parts under the 25 MiB asset limit)', async () => {
    const worker = await startTestWorker(model, modelsDir); // assets include the page built in beforeAll
    const browser = await launchChromium(false);
    try {
      const head = await fetch(`${worker.url}/static/wasm/ort-wasm-simd-threaded.jsep.wasm.part1`, {
        method: 'HEAD',
      });
      expect(head.status).toBe(200);
      const shown = await classifyInPage(browser, 'in-browser-worker.png', worker.url);
      expect(shown.provider).toBe('wasm');
    } finally {
      await browser.close();
      await worker.stop();
    }
  }, 300_000);
});

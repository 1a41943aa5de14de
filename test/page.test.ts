/**
 * The demo page in Chromium (Debian's /usr/bin/chromium through playwright-core; never a downloaded
 * browser), served by the Node server and by the Worker in local workerd: the model card, both modes
 * ("on the server" and "in this browser", WASM here) with the rendered top-5 and bars compared with the
 * API's answer for the same bytes, the download progress of the in-browser runtime and model, keyboard
 * access, and a phone-width layout. Screenshots (desktop and phone, each mode) go to test/.cache/page/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPage } from '../functions/browser/build.js';
import type { LocalWorker } from '../functions/worker/scripts/local-worker.js';
import { silentLogger } from '../src/app/logger.js';
import type { Prediction } from '../src/core/decode.js';
import { pageAssets } from '../src/runtime/node/page-assets.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';
import { type RunningServer, startServer } from '../src/runtime/node/server.js';
import {
  CACHE_DIR,
  PHOTOS_DIR,
  conformanceModel,
  launchChromium,
  startTestWorker,
} from './conformance-runners.js';

const SHOTS = join(CACHE_DIR, 'page');
const photo = join(PHOTOS_DIR, 'jemma.png');
const DESKTOP = { width: 1280, height: 1000 };
const PHONE = { width: 390, height: 844 };

interface Rendered {
  label: string;
  score: number;
  text: string;
  width: string;
}

async function rendered(page: Page): Promise<Rendered[]> {
  return page.locator('#predictions .prediction').evaluateAll((items) =>
    items.map((item) => ({
      label: item.querySelector('.label')!.textContent!,
      score: Number((item.querySelector('.score') as HTMLElement).dataset.score),
      text: item.querySelector('.score')!.textContent!,
      width: (item.querySelector('.bar span') as HTMLElement).style.width,
    })),
  );
}

/** Top-5 with bars as wide as the scores, equal to the API's answer (within 1e-5 for the browser's engine). */
function expectSameTop5(shown: Rendered[], api: Prediction[], tolerance: number): void {
  expect(shown.map((r) => r.label)).toEqual(api.map((p) => p.label));
  shown.forEach((r, i) => {
    expect(Math.abs(r.score - api[i]!.score)).toBeLessThanOrEqual(tolerance);
    expect(r.text).toBe(`${(r.score * 100).toFixed(2)}%`);
    expect(r.width).toBe(`${(r.score * 100).toFixed(2)}%`);
  });
}

/**
 * The page's requests still unanswered or unfinished, with their age: what a stalled download waits on
 * (requests from the page's workers included, as Chromium reports them to the page).
 */
function trackRequests(page: Page): () => string[] {
  const open = new Map<Request, { started: number; answered?: number }>();
  page.on('request', (request) => open.set(request, { started: Date.now() }));
  page.on('response', (response) => {
    const entry = open.get(response.request());
    if (entry) entry.answered = Date.now();
  });
  page.on('requestfinished', (request) => open.delete(request));
  page.on('requestfailed', (request) => open.delete(request));
  return () =>
    [...open].map(([request, { started, answered }]) => {
      const age = `${Date.now() - started} ms ago`;
      const state =
        answered === undefined
          ? 'no response yet'
          : `body unfinished, headers ${Date.now() - answered} ms ago`;
      return `${request.method()} ${request.url()} (started ${age}; ${state})`;
    });
}

async function waitForResult(page: Page, name: string): Promise<void> {
  await page
    .waitForFunction(
      () => document.body.dataset.state === 'done' || document.body.dataset.state === 'error',
      null,
      {
        timeout: 300_000,
      },
    )
    .catch(async (error: unknown) => {
      // What the page showed when it timed out.
      await page.screenshot({ path: join(SHOTS, `${name}-timeout.png`), fullPage: true });
      const text = await page.locator('#result').innerText();
      throw new Error(`${name}: no result in time; the page shows: ${text}`, { cause: error });
    });
  expect(
    await page.locator('body').getAttribute('data-state'),
    await page.locator('#status').innerText(),
  ).toBe('done');
}

describe('the demo page', () => {
  let model: string;
  let api: Prediction[];
  let pageDir: string;
  let node: RunningServer;
  let worker: LocalWorker | undefined;
  let modelsDir: string;
  let browser: Browser;

  /**
   * Pages still open after a test (one that failed before its own close()) are closed before the next
   * test: a file chooser left pending on one page keeps Chromium from opening another's.
   */
  const opened: Page[] = [];
  const newPage = async (options: Parameters<Browser['newPage']>[0]): Promise<Page> => {
    const page = await browser.newPage(options);
    opened.push(page);
    return page;
  };
  afterEach(async () => {
    for (const page of opened.splice(0)) await page.close().catch(() => undefined);
  });

  beforeAll(async () => {
    const built = await conformanceModel();
    model = built.manifest.name;
    pageDir = mkdtempSync(join(tmpdir(), 'netlens-page-'));
    await buildPage(pageDir); // its own build: other tests may rebuild public/build meanwhile
    modelsDir = built.dir;
    [node, browser] = await Promise.all([
      startServer({
        settings: readNodeSettings(
          {},
          { port: 0, host: '127.0.0.1', modelsDir: built.dir, defaultModel: model },
        ).settings,
        assets: pageAssets(pageDir),
        logger: silentLogger,
      }),
      launchChromium(false),
    ]);
    const answer = (await (
      await fetch(`${node.url}/v1/models/${model}/classify?top=5`, {
        method: 'POST',
        body: readFileSync(photo),
      })
    ).json()) as { results: { predictions: Prediction[] }[] };
    api = answer.results[0]!.predictions;
    mkdirSync(SHOTS, { recursive: true });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await node?.close();
    if (pageDir) rmSync(pageDir, { recursive: true, force: true });
  });

  for (const target of ['node', 'worker'] as const) {
    it(`${target}: card, both modes with bars and timings, download progress, screenshots`, async () => {
      if (target === 'worker') worker = await startTestWorker(model, modelsDir, { pageDir });
      const url = target === 'node' ? node.url : worker!.url;
      const console: string[] = [];
      const page = await newPage({ viewport: DESKTOP });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
      const pending = trackRequests(page);
      const response = await page.goto(url);
      expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
      await page.waitForSelector('body[data-state="idle"]', { timeout: 60_000 });
      expect(await page.locator('#model').inputValue()).toBe(model);

      // The model card: what it is for and what the classes mean, with its facts.
      const card = await page.locator('#card').innerText();
      expect(card).toContain(`About ${model}`);
      expect(card).toMatch(/Intended use\. Content moderation: flag uploads for a human to review/);
      expect(card).toMatch(/Neutral\s+safe-for-work neutral images/);
      expect(card).toMatch(/Input\s+224×224 RGB/);
      expect(card).toMatch(/Preprocessing\s+EXIF orientation applied; .*bilinear with aligned corners/);
      expect(card).toMatch(/Verification\s+verified against tfjs-layers/);
      expect(card).toMatch(/Source sha256\s+[0-9a-f]{64}/);
      expect(card).toMatch(/Size\s+10\.0 MiB model/);

      // On the server.
      await page.setInputFiles('#file', photo);
      await waitForResult(page, `${target}-server`);
      expectSameTop5(await rendered(page), api, target === 'node' ? 1e-6 : 1e-5);
      const engine = await page.locator('#engine').innerText();
      const timing = await page.locator('#timing').innerText();
      if (target === 'node') {
        expect(engine).toMatch(/^On the server: onnxruntime-node .* on cpu$/);
        expect(timing).toMatch(
          /^decode [\d.]+ ms · preprocess [\d.]+ ms · queue [\d.]+ ms · inference [\d.]+ ms · total [\d.]+ ms · round trip [\d.]+ ms$/,
        );
      } else {
        expect(engine).toMatch(/^On the server: onnxruntime-web .* on wasm$/);
        expect(timing).toMatch(
          /^round trip [\d.]+ ms — decode, preprocess and inference are not measured: this server runs on Cloudflare Workers, whose clock stands still while it computes$/,
        );
      }
      await page.screenshot({ path: join(SHOTS, `${target}-desktop-server.png`), fullPage: true });

      // In this browser: the same result, with the download progress recorded as it moves.
      await page.evaluate(() => {
        const bar = document.getElementById('download-bar') as HTMLProgressElement;
        const seen: [number, number][] = [];
        (window as unknown as { seen: typeof seen }).seen = seen;
        new MutationObserver(() => seen.push([bar.value, bar.max])).observe(bar, { attributes: true });
        const record = () => {
          seen.push([bar.value, bar.max]);
          if (document.body.dataset.state === 'busy') requestAnimationFrame(record);
        };
        requestAnimationFrame(record);
      });
      await page.getByRole('radio', { name: 'In this browser' }).check();
      expect(await page.locator('#mode-note').innerText()).toMatch(
        /The image stays on this device: .*WebGPU .* WASM\. First use downloads the runtime \([\d.]+ MiB\) and the model \(10\.0 MiB\)/,
      );
      await waitForResult(page, `${target}-browser`).catch((error: unknown) => {
        const served = target === 'worker' ? `\nwrangler:\n${worker!.output().slice(-4000)}` : '';
        throw new Error(
          `${String(error)}\nconsole:\n${console.join('\n')}\nrequests in flight:\n${pending().join('\n')}${served}`,
        );
      });
      expectSameTop5(await rendered(page), api, 1e-5);
      expect(await page.locator('#engine').innerText()).toMatch(
        /^In this browser: onnxruntime-web on WASM \(\d threads?\)$/,
      );
      expect(await page.locator('#engine-note').innerText()).toMatch(/^Not WebGPU: .*(WebGPU|adapter)/);
      expect(await page.locator('#timing').innerText()).toMatch(
        /^decode [\d.]+ ms · preprocess [\d.]+ ms · inference [\d.]+ ms · total [\d.]+ ms — first use: fetching and loading the model took \d+ ms$/,
      );
      const progress = page.locator('#progress');
      expect(await progress.getAttribute('data-done')).toBe('true');
      const final = await page
        .locator('#download-bar')
        .evaluate((b: HTMLProgressElement) => [b.value, b.max]);
      // The JSEP runtime (~27 MiB), the three codecs and the model (10 MiB), all counted.
      expect(final[0]).toBe(final[1]);
      expect(final[0]).toBeGreaterThan(35 * 1024 * 1024);
      expect(await page.locator('#download-label').innerText()).toMatch(
        /^Downloaded [\d.]+ MiB \(runtime and model\); your browser caches them for next time\.$/,
      );
      const seen = await page.evaluate(() => (window as unknown as { seen: [number, number][] }).seen);
      expect(seen.some(([value, max]) => value > 0 && value < max && max > 35 * 1024 * 1024)).toBe(true);
      await page.screenshot({ path: join(SHOTS, `${target}-desktop-browser.png`), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    }, 420_000);
  }

  it('works on a phone-width screen and with the keyboard', async () => {
    // (Chromium's mobile emulation, isMobile, would swallow the file chooser; the width is what matters.)
    const page = await newPage({ viewport: PHONE, deviceScaleFactor: 2 });
    await page.goto(node.url);
    await page.waitForSelector('body[data-state="idle"]', { timeout: 60_000 });
    // Every control has a name; the drop zone opens the file chooser from the keyboard.
    await expect(page.getByLabel('Model').count()).resolves.toBe(1);
    await expect(page.getByRole('radio', { name: 'On the server' }).count()).resolves.toBe(1);
    const drop = page.getByRole('button', { name: 'Choose an image to classify' });
    await drop.focus();
    // Enter must click the file input while the key press's user activation is active (what makes the
    // browser open its file chooser). Chromium's own chooser event proved unreliable on a loaded machine
    // after other pages had run (30 s timeouts), so the click and the activation are observed instead.
    await page.evaluate(() => {
      const input = document.getElementById('file')!;
      input.addEventListener('click', () => {
        const w = window as unknown as { chooserClicks?: boolean[] };
        (w.chooserClicks ??= []).push(navigator.userActivation.isActive);
      });
    });
    await page.keyboard.press('Enter');
    const clicks = await page.evaluate(
      () => (window as unknown as { chooserClicks?: boolean[] }).chooserClicks ?? [],
    );
    expect(clicks[0]).toBe(true);
    await page.locator('#file').setInputFiles(photo);
    await waitForResult(page, 'phone');
    expectSameTop5(await rendered(page), api, 1e-6);
    expect(await page.locator('#status').getAttribute('aria-live')).toBe('polite');
    // Nothing wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, 'node-phone-server.png'), fullPage: true });
    await page.locator('#install summary').click();
    await page.screenshot({ path: join(SHOTS, 'node-phone-install.png'), fullPage: true });
    await page.close();
  }, 120_000);

  it('says what went wrong when the API answers a problem', async () => {
    const page = await newPage({ viewport: DESKTOP });
    await page.goto(node.url);
    await page.waitForSelector('body[data-state="idle"]', { timeout: 60_000 });
    await page.setInputFiles('#file', {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not an image'),
    });
    await page.waitForSelector('body[data-state="error"]');
    expect(await page.locator('#status').innerText()).toMatch(/^Unsupported media type: /);
    await page.close();
  }, 60_000);
});

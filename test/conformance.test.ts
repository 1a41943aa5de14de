/**
 * Issue 5's promise, measured: the same image gives the same decoded RGB, the same model input, the same
 * top-5 and probabilities within 1e-5 on (a) onnxruntime-node + sharp, (b) onnxruntime-web WASM in Node
 * + jsquash, (c) the Worker in local workerd and (d) the in-browser classifier in headless Chromium.
 * Prints the table and writes it to test/.cache/conformance.json.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../src/core/manifest.js';
import type { ProbeResult } from '../src/runtime/web/conformance-probe.js';
import type { LocalWorker } from '../functions/worker/scripts/local-worker.js';
import {
  CACHE_DIR,
  type ComparisonRow,
  type ConformanceImage,
  type RuntimeName,
  compare,
  conformanceImages,
  conformanceModel,
  formatTable,
  launchChromium,
  runChromium,
  runNode,
  runWebInNode,
  runWorker,
  startConformanceWorker,
  startHarnessServer,
} from './conformance-runners.js';

const MAX_PROB_DIFF = 1e-5;

describe('conformance across Node, onnxruntime-web in Node, workerd and Chromium', () => {
  let images: ConformanceImage[];
  let manifest: Manifest;
  let model: Uint8Array;
  let modelsDir: string;
  let worker: LocalWorker | undefined;
  let browser: Browser | undefined;
  let harness: { url: string; server: Server } | undefined;
  let node: Map<string, ProbeResult>;
  const others: Partial<Record<RuntimeName, Map<string, ProbeResult>>> = {};

  beforeAll(async () => {
    images = await conformanceImages();
    ({ manifest, bytes: model, dir: modelsDir } = await conformanceModel());
    node = await runNode(images, manifest, model);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    harness?.server.close();
    await worker?.stop();
    const rows = compare(node, others, manifest.labels);
    console.log(
      `\nConformance (${manifest.name}, ${images.length} images; reference: onnxruntime-node + sharp)\n${formatTable(rows)}`,
    );
    await writeFile(
      join(CACHE_DIR, 'conformance.json'),
      JSON.stringify({ model: manifest.name, rows }, null, 1),
    );
  });

  const check = (runtime: RuntimeName, results: Map<string, ProbeResult>) => {
    others[runtime] = results;
    const rows: ComparisonRow[] = compare(node, { [runtime]: results }, manifest.labels).filter(
      (r) => r.runtime === runtime,
    );
    expect(rows).toHaveLength(images.length);
    const failures = rows.filter(
      (r) => !r.rgbSame || !r.inputSame || !r.top5Same || !(r.maxProbDiff <= MAX_PROB_DIFF),
    );
    expect(failures, formatTable(failures)).toEqual([]);
  };

  it('covers the shared photos and every generated edge case', () => {
    const names = images.map((i) => i.name);
    for (const expected of [
      'jemma.png',
      'soccer_ball.jpg',
      'case-gray.jpg',
      'case-alpha.png',
      'case-palette.png',
      'case-exif-rot6.jpg',
      'case-progressive.jpg',
      'case-lossy.webp',
      'case-adobergb.jpg',
      'case-adobergb.png',
      'case-gray16.png',
    ]) {
      expect(names).toContain(expected);
    }
    // The EXIF case really is rotated by core: its decoded size is the stored (unrotated) one.
    expect(node.get('case-exif-rot6.jpg')).toMatchObject({ width: 500, height: 375 });
  });

  it('(b) onnxruntime-web WASM in Node with the jsquash decoders matches', async () => {
    check('web-node', await runWebInNode(images, manifest, model));
  }, 600_000);

  it('(c) the Worker in local workerd matches', async () => {
    worker = await startConformanceWorker(modelsDir, manifest.name);
    check('workerd', await runWorker(worker, images, manifest.name));
  }, 600_000);

  it('(d) the in-browser classifier in headless Chromium (WASM) matches', async () => {
    harness = await startHarnessServer(images, modelsDir, manifest);
    browser = await launchChromium();
    const results = await runChromium(browser, harness.url, images, manifest.name);
    expect([...results.values()].every((r) => r.provider === 'wasm')).toBe(true);
    check('chromium', results);
  }, 600_000);
});

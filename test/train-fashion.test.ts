/**
 * Issue 12's promise, measured on Fashion-MNIST (Debian's dataset-fashion-mnist, written out as PNG
 * folders: 200 training images per class, 1,000 held-out): `netlens train` on nsfw-mobilenet-v2's
 * features prints the held-out accuracy of the head and of the raw-pixel baseline (the head must reach
 * 75%); the exported model (features graph + head, one ONNX file) is listed, picked up by a running
 * server without a restart, gives the same top-5 through the CLI, the HTTP server, ORT-web in Node, the
 * Worker in workerd and Chromium, and equals base features + head run separately within 1e-5; a second
 * run takes every row from the feature cache and writes the same model, bit for bit.
 *
 * Features are cached in test/.cache/train-features (one extraction per clean checkout; later runs of
 * this file reuse it).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/app/logger.js';
import { ONNX_SCHEMA } from '../src/convert/onnx/schema.js';
import { type Manifest, parseManifest } from '../src/core/manifest.js';
import { preprocess } from '../src/core/pipeline.js';
import { decodeImage } from '../src/runtime/node/index.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';
import { type RunningServer, startServer } from '../src/runtime/node/server.js';
import type { ProbeResult } from '../src/runtime/web/conformance-probe.js';
import type { Head } from '../src/train/head.js';
import { predictHead } from '../src/train/head.js';
import { trainingBackend } from '../src/train/fit.js';
import type { LocalWorker } from '../functions/worker/scripts/local-worker.js';
import { type CliResult, netlens } from './cli-helpers.js';
import {
  CACHE_DIR,
  PHOTOS_DIR,
  type ConformanceImage,
  type RuntimeName,
  compare,
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
import { FASHION_LABELS, fashionMnistFolders } from './fashion-mnist.js';

const BASE = 'nsfw-mobilenet-v2';
const MODEL = 'fashion';
const FEATURE_CACHE = join(CACHE_DIR, 'train-features');

interface Report {
  fits: { name: string; evaluation: { split: string; images: number; accuracy: number } }[];
  features: { images: number; fromCache: number; seconds: number };
}

/** The head's weights, read back from the exported model's initializers (names from src/train/export.ts). */
function headOf(model: Uint8Array): Head {
  const type = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType(
    'onnx.ModelProto',
  );
  const decoded = type.toObject(type.decode(model), { longs: Number }) as {
    graph: { initializer: { name: string; dims: number[]; rawData: Uint8Array }[] };
  };
  const get = (name: string) => {
    const t = decoded.graph.initializer.find((i) => i.name === name)!;
    return { dims: t.dims, data: new Float32Array(Uint8Array.from(t.rawData).buffer) };
  };
  const kernel = get('head/dense0/kernel');
  return {
    mean: get('head/mean').data,
    scale: get('head/scale').data,
    layers: [
      {
        weights: kernel.data,
        bias: get('head/dense0/bias').data,
        inputs: kernel.dims[1]!,
        outputs: kernel.dims[0]!,
      },
    ],
  };
}

describe('netlens train on Fashion-MNIST with nsfw-mobilenet-v2 features', () => {
  let folders: { train: string; test: string };
  let modelsDir: string;
  let server: RunningServer;
  let first: CliResult & { seconds: number };
  let report: Report;
  let manifest: Manifest;
  let model: Uint8Array;
  let images: ConformanceImage[];
  let node: Map<string, ProbeResult>;
  let worker: LocalWorker | undefined;
  let browser: Browser | undefined;
  let harness: { url: string; server: Server } | undefined;
  const others: Partial<Record<RuntimeName, Map<string, ProbeResult>>> = {};

  const trainArgs = (...more: string[]) => [
    'train',
    folders.train,
    '--base',
    BASE,
    '--name',
    MODEL,
    '--test',
    folders.test,
    '--models-dir',
    modelsDir,
    '--cache-dir',
    FEATURE_CACHE,
    ...more,
  ];

  beforeAll(async () => {
    folders = await fashionMnistFolders(CACHE_DIR);
    const base = await conformanceModel(); // builds the built-in models when missing
    modelsDir = mkdtempSync(join(tmpdir(), 'netlens-fashion-'));
    for (const file of [`${BASE}.json`, base.manifest.file, base.manifest.features!.file]) {
      copyFileSync(join(base.dir, file), join(modelsDir, file));
    }
    // The server runs before the model exists: it must pick it up without a restart.
    server = await startServer({
      settings: readNodeSettings({}, { port: 0, host: '127.0.0.1', modelsDir, defaultModel: BASE }).settings,
      assets: false,
      logger: silentLogger,
    });
    const started = performance.now();
    first = { ...(await netlens(trainArgs())), seconds: (performance.now() - started) / 1000 };
    expect(first.code, first.stderr).toBe(0);
    report = JSON.parse(readFileSync(join(modelsDir, `${MODEL}.report`, 'report.json'), 'utf8')) as Report;
    manifest = parseManifest(JSON.parse(readFileSync(join(modelsDir, `${MODEL}.json`), 'utf8')));
    model = new Uint8Array(readFileSync(join(modelsDir, manifest.file)));
    images = [
      ...FASHION_LABELS.map((label) => {
        const name = readdirSync(join(folders.test, label)).sort()[0]!;
        return join(folders.test, label, name);
      }),
      join(PHOTOS_DIR, 'jemma.png'),
      join(PHOTOS_DIR, 'soccer_ball.jpg'),
    ].map((path) => ({ name: basename(path), path, bytes: new Uint8Array(readFileSync(path)) }));
    node = await runNode(images, manifest, model);
  }, 1_800_000);

  afterAll(async () => {
    await browser?.close();
    harness?.server.close();
    await worker?.stop();
    await server?.close();
    if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
  });

  it('prints the held-out accuracy of the head and of the raw-pixel baseline; the head reaches 75%', () => {
    const [head, baseline] = report.fits;
    console.log(
      `\nFashion-MNIST, ${head!.evaluation.images} held-out images: ${BASE} head ${(head!.evaluation.accuracy * 100).toFixed(1)}%, ` +
        `raw-pixel baseline ${(baseline!.evaluation.accuracy * 100).toFixed(1)}% (first run ${first.seconds.toFixed(0)} s, ` +
        `features ${report.features.seconds.toFixed(0)} s for ${report.features.images} images, ${report.features.fromCache} from the cache)`,
    );
    expect(head).toMatchObject({ name: 'backbone head', evaluation: { split: 'test', images: 1000 } });
    expect(baseline).toMatchObject({
      name: 'raw-pixel baseline',
      evaluation: { split: 'test', images: 1000 },
    });
    expect(head!.evaluation.accuracy).toBeGreaterThanOrEqual(0.75);
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    expect(first.stdout).toContain('Accuracy on the held-out test set (1000 images):');
    expect(first.stdout).toMatch(new RegExp(`backbone head .* accuracy +${pct(head!.evaluation.accuracy)}`));
    expect(first.stdout).toMatch(
      new RegExp(`raw-pixel baseline .* accuracy +${pct(baseline!.evaluation.accuracy)}`),
    );
    expect(manifest.training?.evaluation.accuracy).toBe(head!.evaluation.accuracy);
    expect(manifest.labels.map((l) => l.label)).toEqual([...FASHION_LABELS].sort());
  });

  it('is listed by netlens models and served by the running server after POST /v1/models/rescan', async () => {
    const models = await netlens(['models', '--models-dir', modelsDir]);
    expect(models.stdout).toMatch(/fashion\s+mobilenet_v2\s+224×224×3\s+10\s/);
    const rescan = await fetch(`${server.url}/v1/models/rescan`, { method: 'POST' });
    expect(await rescan.json()).toMatchObject({ added: [MODEL], changed: [], removed: [] });
  });

  it('gives the same top-5 through the CLI and the HTTP server as onnxruntime-node + sharp', async () => {
    const cli = await netlens([
      'classify',
      '--json',
      '-m',
      MODEL,
      '--models-dir',
      modelsDir,
      ...images.map((i) => i.path),
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    const doc = JSON.parse(cli.stdout) as { results: { predictions: { index: number; score: number }[] }[] };
    for (const [i, image] of images.entries()) {
      const reference = node.get(image.name)!.top5;
      const response = await fetch(`${server.url}/v1/models/${MODEL}/classify`, {
        method: 'POST',
        body: Buffer.from(image.bytes),
      });
      const http = (
        (await response.json()) as { results: { predictions: { index: number; score: number }[] }[] }
      ).results[0]!;
      for (const answer of [doc.results[i]!.predictions, http.predictions]) {
        expect(
          answer.map((p) => p.index),
          image.name,
        ).toEqual(reference.map((p) => p.index));
        answer.forEach((p, k) => expect(Math.abs(p.score - reference[k]!.score)).toBeLessThanOrEqual(1e-5));
      }
    }
  });

  it('equals the base model’s features (onnxruntime-node) followed by the head (TensorFlow.js) within 1e-5', async () => {
    await trainingBackend();
    const base = parseManifest(JSON.parse(readFileSync(join(modelsDir, `${BASE}.json`), 'utf8')));
    const features = await ort.InferenceSession.create(join(modelsDir, base.features!.file));
    const head = headOf(model);
    let worst = 0;
    for (const image of images) {
      const input = preprocess({ decoded: await decodeImage(image.bytes), bytes: image.bytes }, base);
      const out = await features.run({ input: new ort.Tensor('float32', input.data, [...input.dims]) });
      const row = out.features!.data as Float32Array;
      const separate = predictHead(head, { data: row, rows: 1, cols: row.length });
      const together = node.get(image.name)!.probabilities;
      separate.forEach((p, k) => (worst = Math.max(worst, Math.abs(p - together[k]!))));
    }
    await features.release();
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  const check = (runtime: RuntimeName, results: Map<string, ProbeResult>) => {
    others[runtime] = results;
    const rows = compare(node, { [runtime]: results }, manifest.labels).filter((r) => r.runtime === runtime);
    expect(rows).toHaveLength(images.length);
    const failures = rows.filter(
      (r) => !r.rgbSame || !r.inputSame || !r.top5Same || !(r.maxProbDiff <= 1e-5),
    );
    expect(failures, formatTable(failures)).toEqual([]);
  };

  it('gives the same top-5 and probabilities (1e-5) in onnxruntime-web (WASM) in Node', async () => {
    check('web-node', await runWebInNode(images, manifest, model));
  }, 600_000);

  it('gives the same top-5 and probabilities (1e-5) in the Worker (local workerd)', async () => {
    worker = await startConformanceWorker(modelsDir, MODEL);
    check('workerd', await runWorker(worker, images, MODEL));
  }, 600_000);

  it('gives the same top-5 and probabilities (1e-5) in the in-browser classifier (Chromium, WASM)', async () => {
    harness = await startHarnessServer(images, modelsDir, manifest);
    browser = await launchChromium();
    check('chromium', await runChromium(browser, harness.url, images, MODEL));
    console.log(`\nTrained model across runtimes:\n${formatTable(compare(node, others, manifest.labels))}`);
  }, 600_000);

  it('runs again from the feature cache and writes the same model bit for bit; the server loads the replacement', async () => {
    const started = performance.now();
    // Without the baseline (it does not change the model): the point is the cache and the bytes.
    const second = await netlens(trainArgs('--force', '--no-baseline'));
    const seconds = (performance.now() - started) / 1000;
    console.log(`second run ${seconds.toFixed(0)} s (first ${first.seconds.toFixed(0)} s)`);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/features of 3000 images .* 3000 from the cache/);
    const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    expect(sha256(readFileSync(join(modelsDir, manifest.file)))).toBe(sha256(model));
    const rescan = await fetch(`${server.url}/v1/models/rescan`, { method: 'POST' });
    expect(await rescan.json()).toMatchObject({ added: [], changed: [MODEL], removed: [] });
  }, 600_000);
});

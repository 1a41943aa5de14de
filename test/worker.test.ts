/**
 * The Worker in local workerd (wrangler dev, offline) answers like the Node server: every shared photo
 * through all three body formats (raw, multipart, JSON base64) gives the same top-5 labels with scores
 * within 1e-5. Also: problem+json errors, a model too large for the isolate (clear 503, not an OOM), and
 * models served from the local R2 simulation instead of static assets.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/app/logger.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';
import { type RunningServer, startServer } from '../src/runtime/node/server.js';
import type { LocalWorker } from '../functions/worker/scripts/local-worker.js';
import { seedLocalR2 } from '../functions/worker/scripts/seed-r2.js';
import { estimateIsolateBytes } from '../src/runtime/web/isolate-budget.js';
import { PHOTOS_DIR, conformanceModel, startTestWorker } from './conformance-runners.js';

const MiB = 1024 * 1024;

interface Answer {
  model: string;
  provider: string;
  results: { name: string; predictions: { index: number; label: string; score: number }[] }[];
}

const photos = readdirSync(PHOTOS_DIR)
  .sort()
  .map((name) => ({ name, bytes: readFileSync(join(PHOTOS_DIR, name)) }));

function multipart(): FormData {
  const form = new FormData();
  for (const p of photos) form.append('file', new Blob([p.bytes]), p.name);
  return form;
}

function json(): string {
  return JSON.stringify({
    images: photos.map((p) => ({ name: p.name, base64: p.bytes.toString('base64') })),
  });
}

async function classify(base: string, model: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(`${base}/v1/models/${model}/classify`, { method: 'POST', ...init });
  if (!response.ok) throw new Error(`${base}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Answer;
}

function expectSameAnswers(edge: Answer, node: Answer): void {
  expect(edge.results.map((r) => r.name)).toEqual(node.results.map((r) => r.name));
  edge.results.forEach((result, i) => {
    const reference = node.results[i]!.predictions;
    expect(result.predictions.map((p) => p.label)).toEqual(reference.map((p) => p.label));
    result.predictions.forEach((p, k) =>
      expect(Math.abs(p.score - reference[k]!.score)).toBeLessThanOrEqual(1e-5),
    );
  });
}

/** GET the model's file by its content-addressed URL: the whole file, its length, its sha256. */
async function expectServedModelFile(base: string, model: string): Promise<void> {
  const detail = (await (await fetch(`${base}/v1/models/${model}`)).json()) as {
    files: { model: { url: string; sha256: string; bytes: number } };
  };
  const { url, sha256, bytes } = detail.files.model;
  expect(url).toBe(`/v1/models/${model}/files/model/${sha256}`);
  const response = await fetch(`${base}${url}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(response.headers.get('content-length')).toBe(String(bytes));
  const body = Buffer.from(await response.arrayBuffer());
  expect(body.length).toBe(bytes);
  expect(createHash('sha256').update(body).digest('hex')).toBe(sha256);
  const current = await fetch(`${base}/v1/models/${model}/files/model`, { redirect: 'manual' });
  expect(current.status).toBe(302);
  expect(current.headers.get('location')).toBe(url);
}

describe('the Worker in local workerd', () => {
  let model: string;
  let modelsDir: string;
  let worker: LocalWorker & { assetsDir: string };
  let node: RunningServer;

  beforeAll(async () => {
    const built = await conformanceModel();
    model = built.manifest.name;
    modelsDir = built.dir;
    [worker, node] = await Promise.all([
      startTestWorker(model, modelsDir),
      startServer({
        settings: readNodeSettings({}, { port: 0, host: '127.0.0.1', modelsDir, defaultModel: model })
          .settings,
        assets: false,
        logger: silentLogger,
      }),
    ]);
  }, 600_000);

  afterAll(async () => {
    await worker?.stop();
    await node?.close();
  });

  it('classifies every photo like the Node server through raw, multipart and JSON bodies', async () => {
    for (const body of ['raw', 'multipart', 'json'] as const) {
      const requests: RequestInit[] =
        body === 'raw'
          ? photos.map((p) => ({ body: p.bytes, headers: { 'content-type': 'application/octet-stream' } }))
          : [
              body === 'multipart'
                ? { body: multipart() }
                : { body: json(), headers: { 'content-type': 'application/json' } },
            ];
      for (const init of requests) {
        const [edge, reference] = [
          await classify(worker.url, model, init),
          await classify(node.url, model, init),
        ];
        expect(edge.provider).toBe('wasm');
        expect(reference.provider).toBe('cpu');
        expectSameAnswers(edge, reference);
      }
    }
  }, 300_000);

  it('embeds like the Node server (features variant loaded next to the classifier)', async () => {
    const embed = async (base: string) => {
      const response = await fetch(`${base}/v1/models/${model}/embed`, {
        method: 'POST',
        body: photos[0]!.bytes,
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { results: { embedding: number[] }[] }).results[0]!.embedding;
    };
    const [edge, reference] = [await embed(worker.url), await embed(node.url)];
    expect(edge).toHaveLength(reference.length);
    edge.forEach((v, i) => expect(Math.abs(v - reference[i]!)).toBeLessThanOrEqual(1e-5));
  }, 60_000);

  it('answers bad input with the same problem+json as on Node', async () => {
    const text = await fetch(`${worker.url}/v1/models/${model}/classify`, {
      method: 'POST',
      body: 'not an image',
    });
    expect(text.status).toBe(415);
    expect(text.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const unknown = await fetch(`${worker.url}/v1/models/nope/classify`, {
      method: 'POST',
      body: photos[0]!.bytes,
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      code: 'unknown_model',
      detail: expect.stringContaining(model),
    });
    const truncated = photos.find((p) => p.name.endsWith('.jpg'))!.bytes.subarray(0, 5000);
    const bad = await fetch(`${worker.url}/v1/models/${model}/classify`, { method: 'POST', body: truncated });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ code: 'bad_image' });
  }, 60_000);

  it('refuses a model too large for the isolate with a clear start-up error, not an out-of-memory crash', async () => {
    const small = await startTestWorker(model, modelsDir, {
      assetsDir: worker.assetsDir,
      vars: { NETLENS_MEMORY_BUDGET_MIB: '48' },
    });
    try {
      const ready = await fetch(`${small.url}/readyz`);
      expect(ready.status).toBe(503);
      const answer = await fetch(`${small.url}/v1/models/${model}/classify`, {
        method: 'POST',
        body: photos[0]!.bytes,
      });
      expect(answer.status).toBe(503);
      const problem = (await answer.json()) as { detail: string };
      expect(problem.detail).toMatch(/needs about [\d.]+ MiB of isolate memory, over the 48\.0 MiB budget/);
      // The start-up error is logged (JSON line via console.log, forwarded by wrangler a moment later).
      for (let i = 0; i < 50 && !/could not be loaded/.test(small.output()); i++)
        await new Promise((r) => setTimeout(r, 100));
      const line = small
        .output()
        .split('\n')
        .find((l) => l.includes('the default model could not be loaded'));
      expect(line).toMatch(/over the 48\.0 MiB budget/);
    } finally {
      await small.stop();
    }
  }, 120_000);

  it('answers a configuration mistake with a problem naming the valid values', async () => {
    const misconfigured = await startTestWorker(model, modelsDir, {
      assetsDir: worker.assetsDir,
      vars: { NETLENS_MODEL_STORE: 's3' },
    });
    try {
      const answer = await fetch(`${misconfigured.url}/healthz`);
      expect(answer.status).toBe(503);
      expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(((await answer.json()) as { detail: string }).detail).toBe(
        "NETLENS_MODEL_STORE must be one of assets, r2; got 's3'",
      );
    } finally {
      await misconfigured.stop();
    }
  }, 120_000);

  it('reports CPU-bound timings as not measured: the Workers clock stands still during CPU work', async () => {
    const answer = (await classify(worker.url, model, { body: photos[0]!.bytes })) as unknown as {
      results: { timings: Record<string, unknown> }[];
    };
    expect(answer.results[0]!.timings).toMatchObject({
      clock: 'io',
      decodeMs: null,
      preprocessMs: null,
      queueMs: null,
      inferenceMs: null,
      totalMs: expect.any(Number),
    });
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toContain('netlens_clock_measures_cpu 0');
    expect(metrics).not.toContain('netlens_inference_duration_seconds');
  }, 60_000);

  it('streams the model file at its content-addressed URL with its length, for browsers to cache', async () => {
    await expectServedModelFile(worker.url, model);
  }, 60_000);

  it('serves the model from R2 (local simulation seeded with wrangler r2 object put --local), with no model in its assets, admitted by the ORT memory seeded with it', async () => {
    const { keys, ortMemory } = await seedLocalR2('netlens-models', { names: [model], modelsDir });
    expect(keys).toContain(`${model}.onnx`);
    expect(keys.at(-1)).toBe('ort-memory.json');
    // A budget that the size-based estimate is over but the measured figure fits: the Worker serves the
    // model only if it read ort-memory.json from the bucket.
    const modelBytes = statSync(join(modelsDir, `${model}.onnx`)).size;
    const measured = ortMemory[model] ?? 0;
    expect(measured).toBeGreaterThan(8 * MiB);
    const budgetMiB = Math.ceil(estimateIsolateBytes(modelBytes, measured) / MiB);
    expect(budgetMiB * MiB).toBeLessThan(estimateIsolateBytes(modelBytes));
    const r2 = await startTestWorker(model, modelsDir, {
      env: 'r2',
      vars: { NETLENS_MEMORY_BUDGET_MIB: String(budgetMiB) },
    });
    try {
      expect(readdirSync(r2.assetsDir)).not.toContain('models');
      const init = { body: photos[0]!.bytes };
      expectSameAnswers(await classify(r2.url, model, init), await classify(node.url, model, init));
      await expectServedModelFile(r2.url, model); // streamed from the R2 object's body
    } finally {
      await r2.stop();
    }
  }, 180_000);
});

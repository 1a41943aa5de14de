/**
 * `npm run build:lambda` for real: the zip is unzipped into an empty temporary folder and a fresh node
 * there imports handler.mjs and classifies a photo through an HTTP API v2 event, with the same top-5 as
 * the Node app from source — nothing outside the zip is needed. Its cold start is printed (the bench,
 * bench/lambda.ts, records it). A choice of models over 250 MB unzipped fails the build.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../src/core/decode.js';
import { createNodeApp } from '../src/runtime/node/server.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';
import { ensureDefaultModels } from '../src/cli/start.js';
import { LAMBDA_UNZIPPED_LIMIT_BYTES, type LambdaBuild, buildLambda } from '../functions/lambda/build.js';
import { DEFAULT_MODEL, MODELS_DIR, PHOTOS_DIR } from './server-process.js';
import { type ColdStart, coldStart, nodeModulesAbove, unzipClean } from './support/lambda-zip.js';

const PHOTO = join(PHOTOS_DIR, 'clint_eastwood.jpg');

describe('the Lambda zip', () => {
  let out: string;
  let build: LambdaBuild;
  let unzipped: string;
  let run: ColdStart;

  beforeAll(async () => {
    await ensureDefaultModels({ modelsDir: MODELS_DIR, defaultModel: DEFAULT_MODEL });
    out = await mkdtemp(join(tmpdir(), 'netlens-lambda-build-'));
    build = await buildLambda({ out });
    unzipped = await unzipClean(build.zip);
    run = await coldStart(unzipped, PHOTO, 'image/jpeg', DEFAULT_MODEL);
    console.log(
      `Lambda zip: ${(build.unzippedBytes / 2 ** 20).toFixed(1)} MiB unzipped, ${(build.zippedBytes / 2 ** 20).toFixed(1)} MiB zipped; ` +
        `cold start from the zip: boot ${run.bootMs.toFixed(0)} ms, import ${run.importMs.toFixed(0)} ms, ` +
        `init (model load) ${run.initMs.toFixed(0)} ms, first answer ${run.firstAnswerMs.toFixed(0)} ms, ` +
        `CPU ${run.cpuMs.toFixed(0)} ms`,
    );
  }, 600_000);

  afterAll(async () => {
    for (const dir of [out, unzipped]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds the bundle, the linux-x64 native packages and the default model, under 250 MB', async () => {
    expect((await stat(build.zip)).size).toBe(build.zippedBytes);
    expect(build.unzippedBytes).toBeLessThan(LAMBDA_UNZIPPED_LIMIT_BYTES);
    expect(build.zippedBytes).toBeLessThan(build.unzippedBytes);
    const parts = build.parts.map((p) => p.part);
    expect(parts).toEqual(
      expect.arrayContaining([
        'handler.mjs',
        'models',
        'node_modules/onnxruntime-node',
        'node_modules/onnxruntime-common',
        'node_modules/sharp',
        'node_modules/@img/sharp-linux-x64',
        'node_modules/@img/sharp-libvips-linux-x64',
      ]),
    );
    // Only linux-x64 native files; no install-script dependencies, no other engine.
    expect(parts).not.toContain('node_modules/adm-zip');
    expect(parts).not.toContain('node_modules/better-sqlite3');
    expect(parts).not.toContain('node_modules/onnxruntime-web');
  });

  it('runs from an empty folder with no node_modules above it', () => {
    expect(nodeModulesAbove(unzipped)).toEqual([]);
  });

  it('classifies a photo through an HTTP API v2 event like the Node app from source', async () => {
    expect(run.classify.statusCode, run.classify.body).toBe(200);
    const answer = JSON.parse(run.classify.body) as {
      model: string;
      results: { predictions: Prediction[] }[];
    };
    expect(answer.model).toBe(DEFAULT_MODEL);

    const { settings } = readNodeSettings({ NETLENS_MODELS_DIR: MODELS_DIR, NETLENS_ENGINE_WORKER: 'off' });
    const node = await createNodeApp({ settings, logger: pino({ level: 'silent' }), assets: false });
    try {
      const res = await node.app.request(`/v1/models/${DEFAULT_MODEL}/classify?top=5`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: new Uint8Array(readFileSync(PHOTO)),
      });
      const expected = ((await res.json()) as { results: { predictions: Prediction[] }[] }).results[0]!
        .predictions;
      const actual = answer.results[0]!.predictions;
      expect(actual.map((p) => p.label)).toEqual(expected.map((p) => p.label));
      actual.forEach((p, i) => expect(Math.abs(p.score - expected[i]!.score)).toBeLessThan(1e-6));
    } finally {
      await node.close();
    }
  });

  it("serves the zip's models only (the project's other model is not visible)", () => {
    const models = JSON.parse(run.models.body) as { default: string; models: { name: string }[] };
    expect(models.default).toBe(DEFAULT_MODEL);
    expect(models.models.map((m) => m.name)).toEqual([DEFAULT_MODEL]);
  });

  it('reports a cold start in phases', () => {
    for (const phase of [run.importMs, run.initMs, run.firstAnswerMs, run.cpuMs])
      expect(phase).toBeGreaterThan(0);
  });

  it('fails when the chosen models make the package larger than 250 MB unzipped', async () => {
    await ensureDefaultModels({ modelsDir: MODELS_DIR, defaultModel: 'nsfw-inception-v3' });
    await expect(
      buildLambda({ out: join(out, 'too-big'), models: ['nsfw-mobilenet-v2', 'nsfw-inception-v3'] }),
    ).rejects.toThrow(/MiB unzipped, over Lambda's 250\.0 MiB limit .*models \d+\.\d MiB/);
  });
});

/**
 * nsfw-inception-v3-int8 at the edge: `netlens quantize` makes it from the built-in float32 model (cached
 * in test/.cache/quantize by source hash), build:worker measures its onnxruntime-web memory and checks the
 * isolate budget, and the Worker in local workerd classifies the shared photos with top-5 identical to
 * onnxruntime-node running the same int8 file (decoding and preprocessing shared, as for float32 models).
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../src/core/manifest.js';
import { quantizeModel } from '../src/quantize/quantize-model.js';
import { createModelDirectorySource } from '../src/runtime/node/model-dir.js';
import { prepareAssets } from '../functions/worker/scripts/prepare-assets.js';
import type { LocalWorker } from '../functions/worker/scripts/local-worker.js';
import {
  CACHE_DIR,
  PHOTOS_DIR,
  ROOT,
  conformanceModel,
  runNode,
  runWorker,
  startTestWorker,
  type ConformanceImage,
} from './conformance-runners.js';

const MIB = 1024 * 1024;
const SOURCE = 'nsfw-inception-v3';
const MODEL = `${SOURCE}-int8`;

function quantizerHash(): string {
  const hash = createHash('sha256');
  for (const dir of ['src/quantize', 'src/convert/onnx']) {
    for (const file of readdirSync(join(ROOT, dir)).sort()) {
      if (file.endsWith('.ts') && !file.endsWith('.test.ts'))
        hash.update(readFileSync(join(ROOT, dir, file)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/** The int8 variant in test/.cache/quantize/<hash of the float32 file and the quantizer's code>. */
async function int8Model(): Promise<{ dir: string; manifest: Manifest; bytes: Uint8Array }> {
  process.env.NETLENS_CONFORMANCE_MODEL = SOURCE;
  const source = await conformanceModel();
  delete process.env.NETLENS_CONFORMANCE_MODEL;
  const dir = join(CACHE_DIR, 'quantize', `${source.manifest.sha256.model.slice(0, 16)}-${quantizerHash()}`);
  if (!existsSync(join(dir, `${MODEL}.json`))) {
    mkdirSync(dir, { recursive: true });
    const { features: _features, ...manifest } = JSON.parse(
      readFileSync(join(source.dir, `${SOURCE}.json`), 'utf8'),
    ) as Manifest;
    copyFileSync(join(source.dir, manifest.file), join(dir, manifest.file));
    writeFileSync(join(dir, `${SOURCE}.json`), JSON.stringify(manifest));
    // One input per held-out photo keeps CI short; the full agreement figures come from the bench.
    await quantizeModel(SOURCE, { kind: 'int8', modelsDir: dir, holdout: PHOTOS_DIR, variants: 1 });
  }
  const store = createModelDirectorySource(dir);
  const manifest = await store.manifest(MODEL);
  return { dir, manifest, bytes: await store.modelBytes(manifest) };
}

describe('nsfw-inception-v3-int8 in the Worker (local workerd)', () => {
  let model: { dir: string; manifest: Manifest; bytes: Uint8Array };
  let assets: string;
  let worker: (LocalWorker & { assetsDir: string }) | undefined;
  const photos: ConformanceImage[] = readdirSync(PHOTOS_DIR)
    .sort()
    .map((name) => ({
      name,
      path: join(PHOTOS_DIR, name),
      bytes: new Uint8Array(readFileSync(join(PHOTOS_DIR, name))),
    }));

  beforeAll(async () => {
    model = await int8Model();
    assets = await mkdtemp(join(tmpdir(), 'netlens-assets-int8-'));
  }, 900_000);

  afterAll(async () => {
    await worker?.stop();
    await rm(assets, { recursive: true, force: true });
  });

  it('build:worker measures its onnxruntime-web memory, since the size-based estimate is over budget', async () => {
    const size = statSync(join(model.dir, model.manifest.file)).size;
    expect(size / 1e6).toBeGreaterThan(22); // ÷3.9 of the 89.6 MB float32 file
    expect(size / 1e6).toBeLessThan(24);
    const [prepared] = await prepareAssets([MODEL], model.dir, 104 * MIB, assets);
    const measured = prepared?.measuredOrtBytes ?? NaN;
    // Low-memory loading (weights as external data, batch 1, no prepacking): 57.6 MiB, not 76.5.
    expect(measured / MIB).toBeGreaterThan(40);
    expect(measured / MIB).toBeLessThan(60);
    expect(prepared?.estimatedIsolateBytes).toBe(measured + 44 * MIB);
    const sizes = JSON.parse(readFileSync(join(assets, 'models/ort-memory.json'), 'utf8')) as Record<
      string,
      number
    >;
    expect(sizes[MODEL]).toBe(measured);
    // At the default 100 MiB planning budget it is refused, with the figures (docs/edge.md: 101.6 MiB).
    const other = await mkdtemp(join(tmpdir(), 'netlens-assets-int8-default-'));
    try {
      await expect(prepareAssets([MODEL], model.dir, 100 * MIB, other)).rejects.toThrow(
        new RegExp(
          `needs about ${((measured + 44 * MIB) / MIB).toFixed(1)} MiB of isolate memory, over the 100\\.0 MiB budget`,
        ),
      );
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  }, 300_000);

  it('classifies the shared photos with top-5 identical to onnxruntime-node on the same int8 file', async () => {
    worker = await startTestWorker(MODEL, model.dir, {
      assetsDir: assets,
      vars: { NETLENS_EDGE_DEBUG: '1', NETLENS_MEMORY_BUDGET_MIB: '104' },
    });
    const edge = await runWorker(worker, photos, MODEL);
    const node = await runNode(photos, model.manifest, model.bytes);
    for (const photo of photos) {
      const [e, n] = [edge.get(photo.name), node.get(photo.name)];
      expect(e?.provider).toBe('wasm');
      expect(e?.rgbSha256).toBe(n?.rgbSha256);
      expect(e?.inputSha256).toBe(n?.inputSha256);
      expect(e?.top5.map((t) => t.index)).toEqual(n?.top5.map((t) => t.index));
      const diff = Math.max(
        ...(e?.probabilities ?? []).map((p, i) => Math.abs(p - (n?.probabilities[i] ?? NaN))),
      );
      expect(diff).toBeLessThan(1e-3);
    }
    // In the isolate, onnxruntime-web's WASM memory is what build:worker measured in Node.
    const memory = (await (await fetch(`${worker.url}/__edge/memory`)).json()) as {
      ortWasmMemoryBytes: number;
    };
    const measured = (
      JSON.parse(readFileSync(join(assets, 'models/ort-memory.json'), 'utf8')) as Record<string, number>
    )[MODEL];
    expect(memory.ortWasmMemoryBytes).toBe(measured);
  }, 600_000);
});

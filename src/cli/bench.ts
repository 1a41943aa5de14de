/**
 * `netlens bench`: times each stage of the Node pipeline separately — decode (sharp), preprocess (core:
 * orientation, colour, resize, normalise), inference (onnxruntime-node) — and end to end, at the batch
 * sizes asked for, on a directory of photos, all in the same run so the ratios are comparable.
 * `npm run bench` (bench/run.ts) runs it on the shared photos and records the results.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Float32Tensor } from '../core/engine.js';
import { NetlensError } from '../core/errors.js';
import { stackBatch } from '../core/image/index.js';
import type { DecodedImage } from '../core/image-types.js';
import { classify, preprocess, runRows } from '../core/pipeline.js';
import { loadModel, type LoadedModel, type ModelOptions } from './load-model.js';

export interface BenchOptions extends ModelOptions {
  images?: string;
  batch?: string;
  seconds?: string;
}

export interface Measurement {
  stage: string;
  batch: number | '';
  imagesPerSecond: number;
  msPerImage: number;
  iterations: number;
}

/** Repeats `step` (which handles `perStep` images) until `seconds` have passed (at least 3 times). */
async function measure(seconds: number, perStep: number, step: (i: number) => Promise<void> | void) {
  await step(0); // untimed warm-up
  let iterations = 0;
  const started = performance.now();
  while (iterations < 3 || performance.now() - started < seconds * 1000) {
    await step(iterations);
    iterations++;
  }
  const ms = performance.now() - started;
  const images = iterations * perStep;
  return { imagesPerSecond: (images * 1000) / ms, msPerImage: ms / images, iterations };
}

export async function runBench(
  options: BenchOptions,
): Promise<{ model: LoadedModel; rows: Measurement[]; images: number }> {
  const seconds = Number(options.seconds ?? 2);
  const batches = (options.batch ?? '1,8').split(',').map((b) => Number(b.trim()));
  if (options.images === undefined) {
    throw new NetlensError('invalid_argument', '--images <dir> is required: a directory of photos to time');
  }
  const dir = resolve(options.images);
  const files = readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .sort()
    .map((f) => join(dir, f));
  const sources = files.map((f) => new Uint8Array(readFileSync(f)));
  const model = await loadModel(options);
  const { manifest, session } = model;
  const n = sources.length;
  const rows: Measurement[] = [];
  const log = (m: Measurement) => {
    rows.push(m);
    process.stderr.write(
      `  ${`${m.stage}${m.batch === '' ? '' : ` (batch ${m.batch})`}`.padEnd(34)} ${m.imagesPerSecond.toFixed(1).padStart(8)} images/s  ${m.msPerImage.toFixed(2).padStart(8)} ms/image\n`,
    );
  };
  process.stderr.write(
    `[bench] ${manifest.name} on ${session.provider} (${model.engineName}), ${n} photos from ${dir}, ≥${seconds}s per measurement\n`,
  );

  const decodeImage = model.decodeImage;
  const decoded: DecodedImage[] = await Promise.all(sources.map((s) => decodeImage(s)));
  log({
    stage: 'decode (sharp)',
    batch: '',
    ...(await measure(seconds, 1, (i) => decodeImage(sources[i % n]!).then(() => undefined))),
  });

  const tensors: Float32Tensor[] = decoded.map((d, i) =>
    preprocess({ decoded: d, bytes: sources[i]! }, manifest, model.kernels),
  );
  log({
    stage: `preprocess (${manifest.preprocessing.resize})`,
    batch: '',
    ...(await measure(seconds, 1, (i) => {
      preprocess({ decoded: decoded[i % n]!, bytes: sources[i % n]! }, manifest, model.kernels);
    })),
  });

  for (const b of batches) {
    const batchTensors = Array.from({ length: n }, (_, i) =>
      stackBatch(Array.from({ length: b }, (_, j) => tensors[(i + j) % n]!)),
    );
    log({
      stage: 'inference',
      batch: b,
      ...(await measure(seconds, b, async (i) => {
        await runRows(session, [batchTensors[i % n]!], manifest.output.name);
      })),
    });
  }

  for (const b of batches) {
    log({
      stage: 'end to end (decode→top-5)',
      batch: b,
      ...(await measure(seconds, b, async (i) => {
        const picked = Array.from({ length: b }, (_, j) => sources[(i * b + j) % n]!);
        const images = await Promise.all(
          picked.map(async (bytes) => ({ bytes, decoded: await decodeImage(bytes) })),
        );
        await classify(session, manifest, images, undefined, model.kernels);
      })),
    });
  }
  return { model, rows, images: n };
}

/** `netlens bench`: the measurements of each model named by --model (comma list), as a table. */
export async function runBenchCommand(options: BenchOptions): Promise<number> {
  const models = options.model === undefined ? [undefined] : options.model.split(',');
  for (const name of models) {
    const { model, rows } = await runBench({ ...options, model: name });
    process.stdout.write(
      `${benchTable(rows)}\n\n${ratios(rows)
        .map((r) => `- ${r}\n`)
        .join('')}`,
    );
    await model.session.dispose();
  }
  return 0;
}

/** The measurements as a markdown table. */
export function benchTable(rows: readonly Measurement[]): string {
  return [
    '| stage | batch | images/s | ms/image |',
    '| --- | --- | ---: | ---: |',
    ...rows.map(
      (r) => `| ${r.stage} | ${r.batch} | ${r.imagesPerSecond.toFixed(1)} | ${r.msPerImage.toFixed(2)} |`,
    ),
  ].join('\n');
}

/** What the stage timings say together: shares of the per-image time, batch gain. */
export function ratios(rows: Measurement[]): string[] {
  const get = (stage: string, batch: number | '' = '') =>
    rows.find((r) => r.stage.startsWith(stage) && r.batch === batch)?.msPerImage;
  const out: string[] = [];
  const decode = get('decode');
  const pre = get('preprocess');
  for (const b of [...new Set(rows.filter((r) => r.batch !== '').map((r) => r.batch as number))]) {
    const inf = get('inference', b);
    const e2e = get('end to end', b);
    if (decode && pre && inf && e2e) {
      const sum = decode + pre + inf;
      out.push(
        `batch ${b}: of the per-image time, decode ${pct(decode / sum)}, preprocess ${pct(pre / sum)}, inference ${pct(inf / sum)}; ` +
          `end to end ${e2e.toFixed(2)} ms/image vs ${sum.toFixed(2)} ms summed stages (${(e2e / sum).toFixed(2)}×); ` +
          `inference alone is ${(e2e / inf).toFixed(2)}× the end-to-end rate`,
      );
    }
  }
  const i1 = get('inference', 1);
  const i8 = get('inference', 8);
  if (i1 && i8) out.push(`inference batch 8 vs batch 1: ${(i1 / i8).toFixed(2)}× images/s`);
  return out;
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

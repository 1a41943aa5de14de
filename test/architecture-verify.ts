/**
 * The done-when check of a built-in architecture: seeded weights in Keras' weights-only HDF5 layout →
 * `netlens convert --arch`'s path (buildArchitectureSpec → convertKerasModel) → onnxruntime, compared with
 * TensorFlow.js layers on the shared photos plus one seeded random image. Each result is also written to
 * test/.cache/architecture-results/ (scripts/convert/architecture-table.ts prints docs/converter.md's table).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import {
  buildArchitectureSpec,
  type ArchitectureName,
  type ArchitectureOptions,
  type ArchitectureSpec,
} from '../src/convert/architectures/index.js';
import { randomRange } from '../src/convert/verify-converted.js';
import { convertKerasModel } from '../src/convert/index.js';
import type { ConversionResult } from '../src/convert/keras/types.js';
import { randomInputs, verifyAgainstTfjs, type VerificationResult } from '../src/convert/verify/verify.js';
import type { Float32Tensor } from '../src/core/engine.js';
import { parseManifest } from '../src/core/manifest.js';
import { seedWeightsFile, SEED_CACHE_DIR, type SeedNaming } from '../scripts/convert/seed-weights.js';
import { photoInputs } from './architectures-photos.js';

export const RESULTS_DIR = join(SEED_CACHE_DIR, '../architecture-results');

export interface SeededCase {
  arch: ArchitectureName;
  /** Options of the seeded file (include_top, naming). */
  file?: Partial<ArchitectureOptions>;
  /** Options of the conversion (a smaller input, pooling). */
  build?: Partial<ArchitectureOptions>;
  photos: readonly string[];
  naming?: SeedNaming;
}

export interface SeededResult {
  spec: ArchitectureSpec;
  result: ConversionResult;
  verification: VerificationResult;
  inputs: Float32Tensor[];
  seconds: number;
}

export async function runOnnx(onnx: Uint8Array, inputs: readonly Float32Tensor[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const outputs: Float32Array[] = [];
    for (const input of inputs) {
      const feeds = {
        [session.inputNames[0] ?? 'input']: new ort.Tensor('float32', input.data, [...input.dims]),
      };
      const result = await session.run(feeds);
      outputs.push(result[session.outputNames[0] ?? 'output']?.data as Float32Array);
    }
    return outputs;
  } finally {
    await session.release();
  }
}

/** Seeded weights must act like trained ones: a clear winner, no saturation, no ties in the top-5. */
export function expectInformativeSoftmax(probabilities: Float32Array): void {
  const sorted = Array.from(probabilities).sort((a, b) => b - a);
  expect(sorted[0]).toBeGreaterThan(0.01); // a flat softmax would give 0.001
  expect(sorted[0]).toBeLessThan(0.99);
  for (let i = 0; i < 5; i++)
    expect(sorted[i] as number).toBeGreaterThan((sorted[i + 1] as number) * (1 + 1e-4));
}

/** Converts a seeded weight file and verifies it against TF.js (≤ 1e-4, same top-5 on every input). */
export async function convertAndVerifySeeded(c: SeededCase): Promise<SeededResult> {
  const started = Date.now();
  const { path } = await seedWeightsFile(c.arch, c.file ?? {}, 1, c.naming);
  const spec = await buildArchitectureSpec(c.arch, path, c.build ?? {});
  const result = await convertKerasModel(spec, {
    name: spec.defaults.name,
    architecture: c.arch,
    preprocessing: spec.defaults.preprocessing,
    ...(spec.defaults.labels ? { labels: spec.defaults.labels } : {}),
  });
  const inputs = await photoInputs(result.manifest, c.photos);
  const [lo, hi] = randomRange(parseManifest(result.manifest).preprocessing);
  const random = randomInputs(1, spec.built.options.inputShape, 7, lo, hi);
  const verification = await verifyAgainstTfjs(spec, result.onnx, [...inputs, ...random], {
    failAboveTolerance: false,
  });
  expect(verification.samples).toBe(c.photos.length + 1);
  expect(verification.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  expect(verification.top5Agreement).toBe(1);
  const seconds = (Date.now() - started) / 1000;
  recordResult(c, spec, verification, seconds);
  return { spec, result, verification, inputs, seconds };
}

function recordResult(c: SeededCase, spec: ArchitectureSpec, v: VerificationResult, seconds: number): void {
  const o = spec.built.options;
  // What else distinguishes the file: ResNet50's naming generation, old files' names (paired by order).
  const variant = [
    c.arch === 'resnet50' ? `${o.resnet50Naming} names` : '',
    c.naming === 'legacy' ? 'legacy names, paired by order' : '',
  ]
    .filter(Boolean)
    .join(', ');
  const key = `${c.arch}-${o.inputShape[0]}x${o.inputShape[1]}-${o.includeTop ? 'top' : `notop-${o.pooling}`}${variant ? `-${variant.replace(/\W+/g, '-')}` : ''}`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    join(RESULTS_DIR, `${key}.json`),
    JSON.stringify({
      arch: c.arch,
      parameters: spec.built.parameters,
      includeTop: o.includeTop,
      pooling: o.pooling,
      input: o.inputShape,
      ...(variant ? { variant } : {}),
      matching: spec.matching,
      maxAbsDiff: v.maxAbsDiff,
      top5Agreement: v.top5Agreement,
      samples: v.samples,
      seconds,
      reference: v.reference,
      date: new Date().toISOString(),
    }),
  );
}

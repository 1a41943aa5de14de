import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Float32Tensor } from '../core/engine.js';
import { parseManifest, type ManifestInput, type Preprocessing } from '../core/manifest.js';
import type { GraphStats } from './graph-stats.js';
import type { ConversionSummary, KerasModelSpec } from './keras/types.js';
import type { VerificationResult } from './verify/verify.js';

/** Random inputs span what the manifest's preprocessing produces from pixels 0…255. */
export function randomRange(p: Preprocessing): [number, number] {
  switch (p.mode) {
    case 'caffe':
      return [-124, 152];
    case 'tf':
      return [-1, 1];
    case 'torch':
      return [-2.2, 2.7];
    default: {
      const f = typeof p.factor === 'number' ? p.factor : 1 / 255;
      const o = typeof p.offset === 'number' ? p.offset : 0;
      return [Math.min(o, 255 * f + o), Math.max(o, 255 * f + o)];
    }
  }
}

export interface ConvertedFiles {
  manifest: ManifestInput;
  main: { path: string; summary: ConversionSummary };
  features?: { path: string; summary: ConversionSummary };
}

/**
 * Verifies the written model (and its features model) against TF.js on the images in `images` and
 * `random` random inputs, and reads onnxruntime's optimised graph from the verification's own session.
 * TF.js, sharp and onnxruntime load only here (they cost memory and start-up time).
 */
export async function verifyConverted(
  spec: KerasModelSpec,
  files: ConvertedFiles,
  options: { images?: string; random?: number; tolerance?: number },
): Promise<{
  verification: VerificationResult;
  featuresVerification?: VerificationResult;
  graph: GraphStats;
}> {
  const { randomInputs, verifyAgainstTfjs } = await import('./verify/verify.js');
  const { photoInputs } = await import('./verify/photo-inputs.js');
  const { readOptimisedGraphStats } = await import('./graph-stats.js');
  const { manifest, main, features } = files;
  const checked = parseManifest({ ...manifest, labels: manifest.labels }, `manifest of ${manifest.name}`);
  const inputs: Float32Tensor[] = [];
  if (options.images) for (const p of await photoInputs(options.images, checked)) inputs.push(p.tensor);
  const [lo, hi] = randomRange(checked.preprocessing);
  inputs.push(...randomInputs(options.random ?? 3, main.summary.inputShape, 7, lo, hi));
  const tolerance = options.tolerance ?? 1e-4;
  const scratch = await mkdtemp(path.join(tmpdir(), 'netlens-graph-'));
  try {
    const optimised = path.join(scratch, 'optimised.onnx');
    const verification = await verifyAgainstTfjs(spec, main.path, inputs, {
      outputLayer: main.summary.outputLayer,
      softmaxStripped: main.summary.softmaxStripped,
      softmaxAdded: main.summary.softmaxAdded,
      tolerance,
      saveOptimisedGraph: optimised,
    });
    const graph = await readOptimisedGraphStats(optimised, {
      opset: manifest.provenance.opset,
      ops: main.summary.opHistogram,
    });
    const featuresVerification = features
      ? await verifyAgainstTfjs(spec, features.path, inputs.slice(0, 4), {
          outputLayer: features.summary.outputLayer,
          tolerance,
        })
      : undefined;
    return { verification, graph, ...(featuresVerification ? { featuresVerification } : {}) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

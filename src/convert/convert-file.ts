import path from 'node:path';
import type { Float32Tensor } from '../core/engine.js';
import type { ManifestInput, Preprocessing } from '../core/manifest.js';
import { parseManifest } from '../core/manifest.js';
import { sha256Bytes } from './sha256.js';
import { convertKerasModel, defaultFeatureLayer } from './keras/convert.js';
import { parseModelConfig } from './keras/config.js';
import type { OutputKind } from './keras/output-kind.js';
import type { ConversionSummary, ConvertProgress } from './keras/types.js';
import { resolveLabels } from './labels.js';
import { trackPeakMemory } from './peak-memory.js';
import { readModelFile, type ReadModelOptions } from './read-model.js';
import { photoInputs } from './verify/photo-inputs.js';
import { randomInputs, verifyAgainstTfjs, type VerificationResult } from './verify/verify.js';
import { writeConvertedModel, type WrittenModel } from './write-model.js';

export interface ConvertFileOptions extends Omit<ReadModelOptions, 'onLayer'> {
  outDir: string;
  name?: string;
  architecture?: string;
  /** 'imagenet', a labels file, or labels themselves. */
  labels?: string | ManifestInput['labels'];
  preprocessing?: Partial<Preprocessing>;
  output?: OutputKind;
  cutAt?: string;
  /** Also write the penultimate-features model (default true for classifiers). */
  features?: boolean;
  verify?: boolean;
  /** Images to verify on (preprocessed as the manifest says), besides random inputs. */
  verifyImages?: string;
  verifyRandom?: number;
  tolerance?: number;
  description?: string;
  license?: string;
  onProgress?: (p: ConvertProgress) => void;
}

export interface ConvertFileResult {
  written: WrittenModel;
  manifest: ManifestInput;
  summary: ConversionSummary;
  featuresSummary?: ConversionSummary;
  verification?: VerificationResult;
  featuresVerification?: VerificationResult;
  peakRssBytes: number;
  weightBytes: number;
  millis: number;
}

function modelName(file: string): string {
  const base = path.basename(file).replace(/\.(h5|hdf5|keras|json|min\.js|js)$/i, '');
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return name || 'model';
}

function randomRange(p: Preprocessing): [number, number] {
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

/** Reads, converts, optionally verifies, and writes a model and its manifest (and features model). */
export async function convertModelFile(
  file: string,
  options: ConvertFileOptions,
): Promise<ConvertFileResult> {
  const started = Date.now();
  const stopMemory = trackPeakMemory();
  const progress = options.onProgress ?? (() => undefined);
  const read = await readModelFile(file, {
    ...options,
    onLayer: (done, total, detail) => progress({ phase: 'read', done, total, detail }),
  });
  const { spec, defaults } = read;
  // Provenance names the file relative to the working directory when it lies inside it.
  const relative = path.relative(process.cwd(), path.resolve(file));
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) spec.source = relative;
  let weightBytes = 0;
  for (const list of spec.weights.values()) for (const t of list) weightBytes += t.data.byteLength;

  const name = options.name ?? defaults.name ?? modelName(file);
  const architecture = options.architecture ?? defaults.architecture ?? 'custom';
  const labels =
    typeof options.labels === 'string'
      ? await resolveLabels(options.labels)
      : (options.labels ?? defaults.labels);
  const preprocessing = { ...defaults.preprocessing, ...options.preprocessing };
  const common = {
    name,
    architecture,
    preprocessing,
    ...(options.description ? { description: options.description } : {}),
    ...(options.license ? { license: options.license } : {}),
    onProgress: progress,
  };
  const main = await convertKerasModel(spec, {
    ...common,
    ...(labels ? { labels } : {}),
    ...(options.output ? { output: options.output } : {}),
    ...(options.cutAt ? { cutAt: options.cutAt } : {}),
  });
  const manifest = main.manifest;

  // The penultimate-features variant (for /embed), when the model ends in a classifier.
  let features: Awaited<ReturnType<typeof convertKerasModel>> | undefined;
  if (options.features !== false && main.manifest.output.kind !== 'features') {
    let layer: string | undefined;
    try {
      layer = defaultFeatureLayer(parseModelConfig(spec.config, spec.source));
    } catch {
      layer = undefined;
    }
    if (layer) {
      features = await convertKerasModel(spec, { ...common, output: 'features', cutAt: layer });
      manifest.features = {
        file: `${name}.features.onnx`,
        output: features.manifest.output.name,
        size: features.manifest.output.size,
        sha256: sha256Bytes(features.onnx),
      };
    }
  }

  let verification: VerificationResult | undefined;
  let featuresVerification: VerificationResult | undefined;
  if (options.verify) {
    progress({ phase: 'verify', done: 0, total: 1 });
    const checked = parseManifest({ ...manifest, labels: manifest.labels }, `manifest of ${name}`);
    const inputs: Float32Tensor[] = [];
    if (options.verifyImages) {
      for (const p of await photoInputs(options.verifyImages, checked)) inputs.push(p.tensor);
    }
    const [lo, hi] = randomRange(checked.preprocessing);
    inputs.push(...randomInputs(options.verifyRandom ?? 3, main.summary.inputShape, 7, lo, hi));
    const tolerance = options.tolerance ?? 1e-4;
    verification = await verifyAgainstTfjs(spec, main.onnx, inputs, {
      outputLayer: main.summary.outputLayer,
      softmaxStripped: main.summary.softmaxStripped,
      tolerance,
    });
    if (features) {
      featuresVerification = await verifyAgainstTfjs(spec, features.onnx, inputs.slice(0, 4), {
        outputLayer: features.summary.outputLayer,
        tolerance,
      });
    }
    manifest.provenance.verification = {
      reference: verification.reference,
      maxAbsDiff: Math.max(verification.maxAbsDiff, featuresVerification?.maxAbsDiff ?? 0),
      top1Agreement: verification.top1Agreement,
      samples: verification.samples,
    };
    progress({ phase: 'verify', done: 1, total: 1 });
  }

  progress({ phase: 'write', done: 0, total: 1 });
  const written = await writeConvertedModel(options.outDir, manifest, main.onnx, features?.onnx);
  progress({ phase: 'write', done: 1, total: 1 });
  return {
    written,
    manifest,
    summary: main.summary,
    ...(features ? { featuresSummary: features.summary } : {}),
    ...(verification ? { verification } : {}),
    ...(featuresVerification ? { featuresVerification } : {}),
    peakRssBytes: stopMemory(),
    weightBytes,
    millis: Date.now() - started,
  };
}

import path from 'node:path';
import type { Float32Tensor } from '../core/engine.js';
import type { ManifestInput, ModelCard, Preprocessing } from '../core/manifest.js';
import { parseManifest } from '../core/manifest.js';
import { convertKerasModelToFile, defaultFeatureLayer } from './keras/convert.js';
import { parseModelConfig } from './keras/config.js';
import type { OutputKind } from './keras/output-kind.js';
import type { ConversionSummary, ConvertProgress, KerasModelSpec } from './keras/types.js';
import { resolveLabels } from './labels.js';
import { trackPeakMemory } from './peak-memory.js';
import { readModelFile, type ReadModelOptions } from './read-model.js';
import type { VerificationResult } from './verify/verify.js';
import { StagedFiles, type WrittenModel } from './write-model.js';

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
  /**
   * The layer whose output the features model ends at (default: the input of the final Dense
   * classifier). A backbone's pooled output generalises better to new classes than a fine-tuned head's.
   */
  featuresLayer?: string;
  verify?: boolean;
  /** Images to verify on (preprocessed as the manifest says), besides random inputs. */
  verifyImages?: string;
  verifyRandom?: number;
  tolerance?: number;
  description?: string;
  license?: string;
  /** The model card written to the manifest (docs/manifest.md): summary, class meanings, intended use. */
  card?: ModelCard;
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
  // Provenance names the file relative to the working directory when it lies inside it, else by its
  // name alone: a manifest travels to servers and must not carry this machine's directory layout.
  const relative = path.relative(process.cwd(), path.resolve(file));
  spec.source = !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.basename(file);
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
  const staged = new StagedFiles();
  try {
    // Each ONNX file is streamed to disk as it is serialised. The last conversion that needs the weights
    // releases them layer by layer while lowering (verification needs them all, so then none does).
    const featureLayer =
      options.features === false
        ? undefined
        : (options.featuresLayer ?? defaultFeatureLayerOrUndefined(spec));
    const mainIsFeatures =
      options.output === 'features' || (options.cutAt !== undefined && options.output === undefined);
    const wantFeatures = featureLayer !== undefined && !mainIsFeatures;
    const stage = async (
      convertOptions: Parameters<typeof convertKerasModelToFile>[1],
      release: boolean,
      fileName?: string,
    ): Promise<{
      manifest: ManifestInput;
      summary: ConversionSummary;
      sha256: string;
      temp: string;
      file: string;
    }> => {
      const target = fileName ?? `${convertOptions.name}.onnx`;
      const temp = await staged.reserve(path.join(options.outDir, target));
      const result = await convertKerasModelToFile(
        spec,
        { ...convertOptions, releaseWeights: release },
        temp,
      );
      return {
        manifest: result.manifest,
        summary: result.summary,
        sha256: result.sha256,
        temp,
        file: target,
      };
    };
    const main = await stage(
      {
        ...common,
        ...(labels ? { labels } : {}),
        ...(options.output ? { output: options.output } : {}),
        ...(options.cutAt ? { cutAt: options.cutAt } : {}),
      },
      !wantFeatures && options.verify !== true,
    );
    const manifest = main.manifest;
    if (options.card !== undefined) manifest.card = options.card;
    const onnxPath = path.join(options.outDir, manifest.file);
    const mainTemp = main.temp;
    const summary = main.summary;

    // The penultimate-features variant (for /embed), when the model ends in a classifier.
    let featuresSummary: ConversionSummary | undefined;
    let featuresPath: string | undefined;
    let featuresTemp: string | undefined;
    if (wantFeatures && featureLayer !== undefined) {
      const features = await stage(
        { ...common, output: 'features', cutAt: featureLayer },
        options.verify !== true,
        `${name}.features.onnx`,
      );
      manifest.features = {
        file: features.file,
        output: features.manifest.output.name,
        size: features.manifest.output.size,
        sha256: features.sha256,
      };
      featuresPath = path.join(options.outDir, features.file);
      featuresTemp = features.temp;
      featuresSummary = features.summary;
    }

    let verification: VerificationResult | undefined;
    let featuresVerification: VerificationResult | undefined;
    if (options.verify) {
      progress({ phase: 'verify', done: 0, total: 1 });
      // TF.js, sharp and onnxruntime load only when verifying (they cost memory and start-up time).
      const { randomInputs, verifyAgainstTfjs } = await import('./verify/verify.js');
      const { photoInputs } = await import('./verify/photo-inputs.js');
      const checked = parseManifest({ ...manifest, labels: manifest.labels }, `manifest of ${name}`);
      const inputs: Float32Tensor[] = [];
      if (options.verifyImages) {
        for (const p of await photoInputs(options.verifyImages, checked)) inputs.push(p.tensor);
      }
      const [lo, hi] = randomRange(checked.preprocessing);
      inputs.push(...randomInputs(options.verifyRandom ?? 3, summary.inputShape, 7, lo, hi));
      const tolerance = options.tolerance ?? 1e-4;
      verification = await verifyAgainstTfjs(spec, mainTemp, inputs, {
        outputLayer: summary.outputLayer,
        softmaxStripped: summary.softmaxStripped,
        softmaxAdded: summary.softmaxAdded,
        tolerance,
      });
      if (featuresTemp && featuresSummary) {
        featuresVerification = await verifyAgainstTfjs(spec, featuresTemp, inputs.slice(0, 4), {
          outputLayer: featuresSummary.outputLayer,
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
    parseManifest(manifest, `manifest of ${manifest.name}`);
    const manifestPath = path.join(options.outDir, `${manifest.name}.json`);
    // The manifest last: a reader that finds it finds the models it names.
    await staged.add(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await staged.commit();
    progress({ phase: 'write', done: 1, total: 1 });
    const written: WrittenModel = { onnxPath, manifestPath, ...(featuresPath ? { featuresPath } : {}) };
    return {
      written,
      manifest,
      summary,
      ...(featuresSummary ? { featuresSummary } : {}),
      ...(verification ? { verification } : {}),
      ...(featuresVerification ? { featuresVerification } : {}),
      peakRssBytes: stopMemory(),
      weightBytes,
      millis: Date.now() - started,
    };
  } catch (error) {
    stopMemory();
    await staged.discard();
    throw error;
  }
}

function defaultFeatureLayerOrUndefined(spec: KerasModelSpec): string | undefined {
  try {
    return defaultFeatureLayer(parseModelConfig(spec.config, spec.source));
  } catch {
    return undefined;
  }
}

import path from 'node:path';
import type { ManifestInput, ModelCard, Preprocessing } from '../core/manifest.js';
import { parseManifest } from '../core/manifest.js';
import { convertKerasModelToFile, defaultFeatureLayer } from './keras/convert.js';
import { parseModelConfig } from './keras/config.js';
import type { OutputKind } from './keras/output-kind.js';
import type { ConversionSummary, ConvertProgress, KerasModelSpec } from './keras/types.js';
import { checkConvertOptions } from './convert-options.js';
import { trackPeakMemory } from './peak-memory.js';
import { readModelFile, type ReadModelOptions } from './read-model.js';
import type { GraphStats } from './graph-stats.js';
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
  /**
   * Record onnxruntime's optimised graph in the manifest (provenance.graph). With `verify` it comes from
   * the verification's own onnxruntime session, at no cost; without, only when this is true, since it
   * loads the model in onnxruntime once more (memory ≈ 3× the model file's size).
   */
  graphStats?: boolean;
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

/** Reads, converts, optionally verifies, and writes a model and its manifest (and features model). */
export async function convertModelFile(
  file: string,
  options: ConvertFileOptions,
): Promise<ConvertFileResult> {
  const started = Date.now();
  // Everything that can be wrong without the model is checked before reading it.
  const givenLabels = await checkConvertOptions(options);
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
  const labels = givenLabels ?? defaults.labels;
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

    const graphBefore = { opset: manifest.provenance.opset, ops: summary.opHistogram };
    let graph: GraphStats | undefined;
    let verification: VerificationResult | undefined;
    let featuresVerification: VerificationResult | undefined;
    if (options.verify) {
      progress({ phase: 'verify', done: 0, total: 1 });
      const { verifyConverted } = await import('./verify-converted.js');
      const checked = await verifyConverted(
        spec,
        {
          manifest,
          main: { path: mainTemp, summary },
          ...(featuresTemp && featuresSummary
            ? { features: { path: featuresTemp, summary: featuresSummary } }
            : {}),
        },
        {
          ...(options.verifyImages ? { images: options.verifyImages } : {}),
          ...(options.verifyRandom !== undefined ? { random: options.verifyRandom } : {}),
          ...(options.tolerance !== undefined ? { tolerance: options.tolerance } : {}),
        },
      );
      ({ verification, graph, featuresVerification } = checked);
      manifest.provenance.verification = {
        reference: verification.reference,
        maxAbsDiff: Math.max(verification.maxAbsDiff, featuresVerification?.maxAbsDiff ?? 0),
        modelMaxAbsDiff: verification.maxAbsDiff,
        ...(featuresVerification ? { featuresMaxAbsDiff: featuresVerification.maxAbsDiff } : {}),
        top1Agreement: verification.top1Agreement,
        samples: verification.samples,
      };
      progress({ phase: 'verify', done: 1, total: 1 });
    }

    if (graph === undefined && options.graphStats === true) {
      progress({ phase: 'optimise', done: 0, total: 1 });
      const { optimisedGraphStats } = await import('./graph-stats.js');
      graph = await optimisedGraphStats(mainTemp, graphBefore);
      progress({ phase: 'optimise', done: 1, total: 1 });
    }
    if (graph && options.graphStats !== false) manifest.provenance.graph = graph;

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

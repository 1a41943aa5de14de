import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Engine } from '../core/engine.js';
import { NetlensError } from '../core/errors.js';
import type { Manifest, ManifestInput, Quantization, RewriteMode } from '../core/manifest.js';
import { writeConvertedModel } from '../convert/write-model.js';
import { createNodeEngine } from '../runtime/node/engine.js';
import { INSTALLED_MODELS_DIR, createModelDirectorySource } from '../runtime/node/model-dir.js';
import { percent, type Agreement } from './agreement.js';
import { variants as variantList } from './augment.js';
import type { CalibrationMethod } from './calibrate.js';
import { foldForQuantization, type FoldReport } from './fold.js';
import type { Graph } from './graph.js';
import { convertToFloat16 } from './fp16.js';
import { integerKernels, optimisedOpCounts } from './fusion.js';
import {
  COLLAPSED_TOP1,
  DEFAULT_MAX_FLOAT_NODES,
  DEFAULT_MIN_AGREEMENT,
  makeInt8Variant,
  type Int8Phase,
} from './int8-variant.js';
import { compareModels } from './measure.js';
import { choosePhotoSets, type PhotoSets } from './photo-sets.js';
import { prepareInputs, type PhotoSet } from './photo-set.js';
import { readOnnxModel } from './read-onnx.js';
import { writeOnnxModel } from './write-onnx.js';
import type { TuningRuntime } from './tune-for.js';

export const QUANTIZER_NAME = 'netlens-quantize 0.4.0';
/** Measured best on the built-in and real Keras models (docs/quantize.md). */
export const DEFAULT_METHOD: CalibrationMethod = 'percentile';
/** Inputs made from each held-out photo by default (augment.ts). */
export const DEFAULT_VARIANTS = 16;

export type QuantizeKind = 'int8' | 'fp16';
export type QuantizePhase = 'read' | Int8Phase | 'measure' | 'write';

export interface QuantizeModelOptions {
  kind: QuantizeKind;
  /** Where the source model is installed (default: NETLENS_MODELS_DIR or models/onnx). */
  modelsDir?: string;
  /** Where the variant is written (default: modelsDir). */
  outDir?: string;
  /** Variant name (default `<model>-int8` / `<model>-fp16`). */
  name?: string;
  calibration?: string;
  holdout?: string;
  /** Inputs per held-out photo (1 = the photos only). Default 16. */
  variants?: number;
  /** Inputs per calibration photo. Default 1. */
  calibrationVariants?: number;
  perChannel?: boolean;
  /** Bias correction for weight rounding (default true). */
  biasCorrection?: boolean;
  method?: CalibrationMethod;
  keepFirstConvFloat?: boolean;
  /** Op types or node names kept in float32 (int8). */
  keepFloat?: readonly string[];
  /**
   * int8: average-pool after the 1×1 Conv that follows a pool, not before (fold.ts): `try` (default) keeps
   * it when the variant with it reaches `minAgreement` on the validation inputs (rewrites.ts), `on` forces
   * it, `off` never.
   */
  poolAfterConv?: RewriteMode;
  /** int8: the runtime whose integer kernels the float32/int8 boundary is chosen for (tune-for.ts). Default cpu. */
  tuneFor?: TuningRuntime;
  /**
   * int8: top-1 agreement to reach on the validation inputs by keeping the most sensitive nodes float32
   * (default 0.99; 0 = none). See int8-variant.ts.
   */
  minAgreement?: number;
  /** int8: at most this many nodes kept float32 by the fallback (default 16). */
  maxFloatNodes?: number;
  /** Write the variant even when its agreement collapsed (top-1 below COLLAPSED_TOP1 on the held-out inputs). */
  force?: boolean;
  /** Default: onnxruntime-node on the CPU, without warm-up. */
  engine?: Engine;
  onProgress?: (phase: QuantizePhase, done: number, total: number) => void;
}

export interface QuantizeModelResult {
  manifest: ManifestInput;
  onnxPath: string;
  manifestPath: string;
  sourceBytes: number;
  bytes: number;
  agreement: Agreement;
  warnings: string[];
  fold?: FoldReport;
  /** Tensors quantized, weights quantized and activations folded into their op (int8). */
  plan?: { tensors: number; weights: number; removedActivations: number };
  millis: number;
}

/**
 * `netlens quantize`: reads an installed float32 model, writes its int8 (QDQ) or fp16 variant next to it
 * as a new model with its own manifest, after measuring the variant's agreement with the float32 model
 * on held-out photos. Nothing is written when a step fails.
 */
export async function quantizeModel(
  model: string,
  options: QuantizeModelOptions,
): Promise<QuantizeModelResult> {
  const started = performance.now();
  const source = createModelDirectorySource(options.modelsDir ?? INSTALLED_MODELS_DIR);
  const manifest = await source.manifest(model);
  checkQuantizable(manifest, options);
  const sourceBytes = await source.modelBytes(manifest);
  const sets = await choosePhotoSets(options);
  const engine = options.engine ?? createNodeEngine({ warmUp: false });
  options.onProgress?.('read', 0, 1);
  const made = await makeVariant(sourceBytes, manifest, sets, engine, options);
  const bytes = writeOnnxModel(made.graph);
  if (options.kind === 'int8') made.quantization.integerOps = integerKernels(await optimisedOpCounts(bytes));
  const variants = options.variants ?? DEFAULT_VARIANTS;
  const holdout = await prepareInputs(sets.holdout, manifest, variantList(variants));
  const agreement = await compareModels(
    engine,
    sourceBytes,
    bytes,
    holdout.map((h) => h.tensor),
    manifest,
    (done, total) => options.onProgress?.('measure', done, total),
  );
  const warnings = [...sets.warnings, ...made.warnings];
  warnings.push(...collapseCheck(agreement, warnings, options.force === true));
  options.onProgress?.('write', 0, 1);
  const name = options.name ?? defaultVariantName(manifest.name, options);
  const variantManifest = buildManifest(manifest, name, bytes, {
    ...made.quantization,
    agreement: {
      photos: sets.holdoutSource,
      sha256: sets.holdout.sha256,
      images: sets.holdout.files.length,
      variants,
      samples: agreement.samples,
      top1: agreement.top1,
      top5Overlap: agreement.top5Overlap,
      top5Identical: agreement.top5Identical,
      maxAbsDiff: agreement.maxAbsDiff,
      meanAbsDiff: agreement.meanAbsDiff,
      maxDisagreementMargin: agreement.maxDisagreementMargin,
    },
    ...(warnings.length > 0 ? { warnings } : {}),
    quantizedAt: new Date().toISOString(),
  });
  const written = await writeConvertedModel(
    path.resolve(options.outDir ?? source.dir),
    variantManifest,
    bytes,
  );
  return {
    manifest: variantManifest,
    ...written,
    sourceBytes: sourceBytes.length,
    bytes: bytes.length,
    agreement,
    warnings,
    ...made.details,
    millis: performance.now() - started,
  };
}

interface MadeVariant {
  graph: Graph;
  quantization: Omit<Quantization, 'agreement' | 'quantizedAt' | 'warnings'>;
  details: Pick<QuantizeModelResult, 'fold' | 'plan'>;
  warnings: string[];
}

async function makeVariant(
  source: Uint8Array,
  manifest: Manifest,
  sets: PhotoSets,
  engine: Engine,
  options: QuantizeModelOptions,
): Promise<MadeVariant> {
  if (options.kind === 'fp16') {
    // Folding first (exact in float32) saves a float16 rounding per folded BatchNormalization / Min.
    const folded = readOnnxModel(source);
    const fold = foldForQuantization(folded);
    const result = convertToFloat16(folded);
    const warnings =
      result.saturated > 0 ? [`${result.saturated} weight(s) beyond ±65504 were stored as ±65504`] : [];
    return {
      graph: result.graph,
      quantization: baseQuantization(manifest, 'fp16'),
      details: { fold },
      warnings,
    };
  }
  const calibrationSet = sets.calibration as PhotoSet;
  const method = options.method ?? DEFAULT_METHOD;
  const perChannel = options.perChannel ?? true;
  const biasCorrection = options.biasCorrection ?? true;
  const made = await makeInt8Variant(source, manifest, calibrationSet, {
    method,
    perChannel,
    biasCorrection,
    keepFirstConvFloat: options.keepFirstConvFloat ?? true,
    keepFloat: options.keepFloat ?? [],
    minAgreement: options.minAgreement ?? DEFAULT_MIN_AGREEMENT,
    maxFloatNodes: options.maxFloatNodes ?? DEFAULT_MAX_FLOAT_NODES,
    calibrationVariants: options.calibrationVariants ?? 1,
    rewrites: { 'pool-after-conv': options.poolAfterConv ?? 'try' },
    ...(options.tuneFor ? { tuneFor: options.tuneFor } : {}),
    engine,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const { result } = made;
  const float32Ops = Object.fromEntries(
    Object.entries(result.plan.keptFloat).map(([op, nodes]) => [op, nodes.length]),
  );
  return {
    graph: result.graph,
    quantization: {
      ...baseQuantization(manifest, 'int8'),
      perChannel,
      method,
      biasCorrection,
      tunedFor: options.tuneFor ?? 'cpu',
      calibration: {
        photos: calibrationSet.dir,
        sha256: calibrationSet.sha256,
        images: calibrationSet.files.length,
      },
      float32Ops,
      ...(result.fold.poolsMovedBelowConv > 0 && { poolsMovedBelowConv: result.fold.poolsMovedBelowConv }),
      speedRewrites: made.speedRewrites,
      mixedPrecision: made.mixedPrecision,
    },
    details: {
      fold: result.fold,
      plan: {
        tensors: result.plan.tensors.length,
        weights: result.plan.weighted.length,
        removedActivations: result.plan.removedActivations.length,
      },
    },
    warnings: made.warnings,
  };
}

/**
 * A variant whose held-out top-1 agreement fell below COLLAPSED_TOP1 is refused (a typed error that repeats
 * the warnings, which name a better calibration method when one measured better), unless `force`: then
 * the warning is returned to be printed and recorded in the manifest.
 */
function collapseCheck(agreement: Agreement, warnings: readonly string[], force: boolean): string[] {
  if (agreement.top1 >= COLLAPSED_TOP1) return [];
  const collapsed = `agreement collapsed: top-1 ${percent(agreement.top1)} on the held-out inputs (below ${COLLAPSED_TOP1 * 100}%)`;
  if (!force) {
    throw new NetlensError(
      'invalid_argument',
      `${collapsed}; not written (--force writes it anyway)${warnings.length > 0 ? `. ${warnings.join('. ')}` : ''}`,
      { details: { top1: agreement.top1, minimum: COLLAPSED_TOP1, warnings } },
    );
  }
  return [`${collapsed}; written because of --force`];
}

/** `<model>-int8`, `<model>-int8-wasm` (--tune-for wasm) or `<model>-fp16`. */
export function defaultVariantName(
  model: string,
  options: Pick<QuantizeModelOptions, 'kind' | 'tuneFor'>,
): string {
  const target =
    options.kind === 'int8' && options.tuneFor && options.tuneFor !== 'cpu' ? `-${options.tuneFor}` : '';
  return `${model}-${options.kind}${target}`;
}

function checkQuantizable(manifest: Manifest, options: QuantizeModelOptions): void {
  if (manifest.quantization) {
    throw new NetlensError(
      'invalid_argument',
      `model '${manifest.name}' is already a ${manifest.quantization.kind} variant of '${manifest.quantization.from.model}'; quantize that float32 model instead`,
    );
  }
  if (manifest.output.kind === 'features') {
    throw new NetlensError(
      'invalid_argument',
      `model '${manifest.name}' outputs features; netlens quantize measures agreement on class probabilities, so it takes classifiers (output kind probabilities or logits)`,
    );
  }
  if (
    options.kind === 'fp16' &&
    (options.method !== undefined ||
      options.calibration !== undefined ||
      options.poolAfterConv !== undefined ||
      options.tuneFor !== undefined)
  ) {
    throw new NetlensError(
      'invalid_argument',
      '--method, --calibration, --pool-after-conv / --no-pool-after-conv and --tune-for apply to --int8 only (fp16 needs no calibration; --holdout DIR chooses the photos its agreement is measured on)',
    );
  }
}

function baseQuantization(
  manifest: Manifest,
  kind: QuantizeKind,
): Omit<Quantization, 'agreement' | 'quantizedAt' | 'warnings'> {
  return {
    kind,
    from: { model: manifest.name, sha256: manifest.sha256.model },
    weights: kind === 'int8' ? 'int8' : 'float16',
    activations: kind === 'int8' ? 'uint8' : 'float16',
    quantizer: QUANTIZER_NAME,
  };
}

function buildManifest(
  source: Manifest,
  name: string,
  bytes: Uint8Array,
  quantization: Quantization,
): ManifestInput {
  const { features: _features, quantization: _none, ...rest } = source;
  const { verification: _verification, ...provenance } = source.provenance;
  const how =
    quantization.kind === 'int8'
      ? `int8 (QDQ, ${quantization.perChannel ? 'per-channel' : 'per-tensor'} weights, ${quantization.method} calibration)`
      : 'fp16 (float32 input/output)';
  return {
    ...rest,
    name,
    description: `${source.description ?? source.name} — ${how}`,
    file: `${name}.onnx`,
    sha256: {
      model: createHash('sha256').update(bytes).digest('hex'),
      ...(source.sha256.source ? { source: source.sha256.source } : {}),
    },
    provenance,
    quantization,
  };
}

import type { Engine, Float32Tensor } from '../core/engine.js';
import { NetlensError } from '../core/errors.js';
import type { Manifest, Quantization, SpeedRewriteRecord } from '../core/manifest.js';
import { measureAgreement, percent } from './agreement.js';
import { VARIANTS, variants as variantList } from './augment.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from './calibrate.js';
import type { FoldOptions } from './fold.js';
import type { Graph } from './graph.js';
import { fallbackToTarget, meanKl, type FallbackResult, type Measured } from './fallback.js';
import { observeInt8, quantizeObserved, type Int8Result } from './int8.js';
import { modelOutputs } from './measure.js';
import { prepareInputs, type PhotoSet } from './photo-set.js';
import { readOnnxModel } from './read-onnx.js';
import { SAME_SCALE_OPS } from './plan.js';
import { chooseRewrites, foldOptionsFor, rewriteSites, type RewriteModes } from './rewrites.js';
import { planOptionsFor, type TuningRuntime } from './tune-for.js';
import { writeOnnxModel } from './write-onnx.js';

/**
 * The int8 variant as `netlens quantize` makes it: calibrate once per graph, quantize, measure on the
 * validation inputs, warn when the method collapsed, and keep the most sensitive nodes float32 while below
 * the target agreement (fallback.ts) — with each speed rewrite tried first and kept only when that variant
 * reaches the target (rewrites.ts). Validation inputs are the calibration photos under augmentations not
 * used to calibrate (flips, crops, colour shifts: augment.ts) — never the held-out photos the reported
 * agreement is measured on.
 */
export const DEFAULT_MIN_AGREEMENT = 0.99;
export const DEFAULT_MAX_FLOAT_NODES = 16;
/**
 * Sensitivity is measured on the validation inputs the all-int8 variant gets most wrong (by KL divergence):
 * where quantization error shows, at a fraction of the cost on large models (one pass over 48 inputs per
 * candidate instead of 225).
 */
export const SENSITIVITY_INPUTS = 48;
/** Below this top-1 agreement a variant has collapsed: a warning, and not written without `force`. */
export const COLLAPSED_TOP1 = 0.9;

export type Int8Phase = 'calibrate' | 'histogram' | 'validate' | 'sensitivity' | 'fallback';

export interface Int8VariantOptions {
  method: CalibrationMethod;
  perChannel: boolean;
  biasCorrection: boolean;
  keepFirstConvFloat: boolean;
  /** Op types or node names kept in float32 whatever the agreement. */
  keepFloat: readonly string[];
  /** Validation top-1 to reach by keeping nodes float32 (0 = no fallback). */
  minAgreement: number;
  maxFloatNodes: number;
  /** Augmentations per calibration photo used to calibrate (the validation uses the next ones). */
  calibrationVariants: number;
  /** Speed rewrites to try (the default), force or switch off (rewrites.ts). */
  rewrites?: RewriteModes;
  /** The runtime whose integer kernels the float32/int8 boundary is chosen for (tune-for.ts). Default cpu. */
  tuneFor?: TuningRuntime;
  engine: Engine;
  onProgress?: (phase: Int8Phase, done: number, total: number) => void;
}

type MixedPrecision = NonNullable<Quantization['mixedPrecision']>;

export interface Int8Variant {
  result: Int8Result;
  mixedPrecision: MixedPrecision;
  /** Each speed rewrite: its mode, sites, whether it was applied and what its variant measured. */
  speedRewrites: SpeedRewriteRecord[];
  warnings: string[];
}

export async function makeInt8Variant(
  source: Uint8Array,
  manifest: Manifest,
  calibrationSet: PhotoSet,
  options: Int8VariantOptions,
): Promise<Int8Variant> {
  const calibration = await prepareInputs(calibrationSet, manifest, variantList(options.calibrationVariants));
  const validationVariants = VARIANTS.slice(options.calibrationVariants);
  if (validationVariants.length === 0) {
    throw new NetlensError(
      'invalid_argument',
      `calibrating on all ${VARIANTS.length} augmentations of each photo leaves none to validate on; use at most ${VARIANTS.length - 1}`,
    );
  }
  const validation = await prepareInputs(calibrationSet, manifest, validationVariants);
  const made = await quantizeToAgreement(
    source,
    calibration.map((c) => c.tensor),
    validation.map((v) => v.tensor),
    manifest,
    options,
  );
  return {
    ...made,
    mixedPrecision: {
      ...made.mixedPrecision,
      validation: {
        photos: calibrationSet.dir,
        sha256: calibrationSet.sha256,
        images: calibrationSet.files.length,
        variants: validationVariants.length,
        samples: validation.length,
      },
    },
  };
}

/**
 * The tensor-level core of makeInt8Variant: the float32 model's validation outputs once, then one variant
 * per rewrite choice (rewrites.ts), each calibrated on `calibration`, quantized and measured against them
 * (collapse check, then fallback while below `options.minAgreement`).
 */
export async function quantizeToAgreement(
  source: Uint8Array,
  calibration: readonly Float32Tensor[],
  validation: readonly Float32Tensor[],
  spec: Pick<Manifest, 'output'>,
  options: Int8VariantOptions,
): Promise<Omit<Int8Variant, 'mixedPrecision'> & { mixedPrecision: Omit<MixedPrecision, 'validation'> }> {
  const graph = readOnnxModel(source);
  const reference = await modelOutputs(options.engine, source, validation, spec, (done, total) =>
    options.onProgress?.('validate', done, total),
  );
  const inputs = { calibration, validation, reference, spec };
  const choice = await chooseRewrites(
    options.rewrites ?? {},
    (rewrite) => rewriteSites(graph, rewrite),
    (applied) => quantizeWithFallback(graph, inputs, { ...options, fold: foldOptionsFor(applied) }),
  );
  const {
    accepted: _accepted,
    validation: _validation,
    float32Nodes: _float32Nodes,
    ...made
  } = choice.chosen;
  return { ...made, speedRewrites: choice.records };
}

interface ValidationInputs {
  calibration: readonly Float32Tensor[];
  validation: readonly Float32Tensor[];
  /** The float32 model's probabilities on `validation`. */
  reference: readonly Float32Array[];
  spec: Pick<Manifest, 'output'>;
}

/** One variant of `graph` folded by `options.fold`: calibrated, quantized, measured, fallback to target. */
async function quantizeWithFallback(
  graph: Graph,
  { calibration, validation, reference, spec }: ValidationInputs,
  options: Int8VariantOptions & { fold: FoldOptions },
) {
  const observation = await observeInt8(graph, calibration, options);
  const build = (floatNodes: readonly string[], method = options.method) =>
    quantizeObserved(observation, {
      ...options,
      method,
      plan: {
        keepFirstConvFloat: options.keepFirstConvFloat,
        floatOps: options.keepFloat,
        floatNodes: [...options.keepFloat, ...floatNodes],
        ...planOptionsFor(options.tuneFor ?? 'cpu'),
      },
    });
  const outputsOf = (result: Int8Result, inputs: readonly Float32Tensor[] = validation) =>
    modelOutputs(options.engine, writeOnnxModel(result.graph), inputs, spec);
  const measured = (outputs: readonly Float32Array[]): Measured => {
    const a = measureAgreement(reference, outputs);
    return { top1: a.top1, kl: meanKl(reference, outputs), meanAbsDiff: a.meanAbsDiff };
  };
  const measure = async (result: Int8Result): Promise<Measured> => measured(await outputsOf(result));
  const all = await build([]);
  const allOutputs = await outputsOf(all);
  const measuredAll = measured(allOutputs);
  const focus = worstInputs(reference, allOutputs, SENSITIVITY_INPUTS);
  const focusReference = focus.map((i) => reference[i] as Float32Array);
  const focusInputs = focus.map((i) => validation[i] as Float32Tensor);
  const focusKlAll = meanKl(
    focusReference,
    focus.map((i) => allOutputs[i] as Float32Array),
  );
  const klOnFocus = async (result: Int8Result): Promise<number> =>
    meanKl(focusReference, await outputsOf(result, focusInputs));
  const warnings: string[] = [];
  let fallback = noFallback(measuredAll, options.minAgreement);
  const collapsed = measuredAll.top1 < COLLAPSED_TOP1;
  if (collapsed) {
    warnings.push(await collapseWarning(options.method, measuredAll, build, measure));
    // collapseWarning built and measured one variant per other method.
    fallback = { ...fallback, trials: fallback.trials + CALIBRATION_METHODS.length - 1 };
  } else if (options.minAgreement > 0) {
    fallback = await fallbackToTarget({
      candidates: integerNodes(all),
      target: options.minAgreement,
      maxRounds: options.maxFloatNodes,
      evaluate: async (floatNodes) =>
        floatNodes.length === 0 ? measuredAll : measure(await build(floatNodes)),
      klGain: async (node) => focusKlAll - (await klOnFocus(await build([node]))),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (!fallback.reached) warnings.push(missedTargetWarning(fallback, options));
  }
  const result = fallback.floatNodes.length > 0 ? await build(fallback.floatNodes) : all;
  const opTypes = new Map(observation.folded.nodes.map((n) => [n.name, n.opType]));
  const gains = new Map(fallback.ranking.map((s) => [s.node, s.klGain]));
  return {
    result,
    warnings,
    accepted: fallback.reached && !collapsed,
    validation: fallback.after,
    float32Nodes: fallback.floatNodes.length,
    mixedPrecision: {
      target: options.minAgreement,
      before: fallback.before,
      after: fallback.after,
      reached: fallback.reached,
      rounds: fallback.rounds,
      trials: fallback.trials,
      float32Nodes: fallback.floatNodes.map((node) => ({
        node,
        opType: opTypes.get(node) ?? '?',
        klGain: gains.get(node) ?? 0,
      })),
    },
  };
}

/** Indices of the `count` rows where KL(reference ‖ candidate) is largest, in input order. */
function worstInputs(
  reference: readonly Float32Array[],
  candidate: readonly Float32Array[],
  count: number,
): number[] {
  const kl = reference.map((p, i) => meanKl([p], [candidate[i] as Float32Array]));
  return [...kl.keys()]
    .sort((a, b) => (kl[b] as number) - (kl[a] as number))
    .slice(0, count)
    .sort((a, b) => a - b);
}

function noFallback(measured: Measured, target: number): FallbackResult {
  return {
    floatNodes: [],
    reached: measured.top1 >= target,
    before: measured,
    after: measured,
    ranking: [],
    rounds: 0,
    trials: 1,
  };
}

/** The ops of the all-int8 plan that run as integer kernels: what may be kept float32 instead. */
function integerNodes(all: Int8Result): string[] {
  const float = new Set(Object.values(all.plan.keptFloat).flat());
  return all.plan.graph.nodes
    .filter((n) => !float.has(n.name) && !SAME_SCALE_OPS.includes(n.opType) && n.opType !== 'Identity')
    .map((n) => n.name);
}

async function collapseWarning(
  method: CalibrationMethod,
  measured: Measured,
  build: (floatNodes: readonly string[], method: CalibrationMethod) => Promise<Int8Result>,
  measure: (result: Int8Result) => Promise<Measured>,
): Promise<string> {
  const others: [CalibrationMethod, number][] = [];
  for (const m of CALIBRATION_METHODS.filter((m) => m !== method))
    others.push([m, (await measure(await build([], m))).top1]);
  others.sort((a, b) => b[1] - a[1]);
  const [best] = others;
  const tried = others.map(([m, top1]) => `${m} ${percent(top1)}`).join(', ');
  const advice =
    best && best[1] > measured.top1
      ? `use --method ${best[0]} (validation top-1: ${tried})`
      : `no other method does better (${tried}); this model may not tolerate int8 activations`;
  return `${method} calibration collapsed: top-1 ${percent(measured.top1)} on the validation inputs (below ${percent(COLLAPSED_TOP1)}); ${advice}`;
}

function missedTargetWarning(f: FallbackResult, options: Int8VariantOptions): string {
  return `target agreement ${percent(options.minAgreement)} not reached on the validation inputs within ${f.rounds} fallback round(s): ${percent(f.before.top1)} all-int8, best ${percent(f.after.top1)} with ${f.floatNodes.length} node(s) kept float32 (raise --max-float, now ${options.maxFloatNodes}, to allow more; --min-agreement to lower the target)`;
}

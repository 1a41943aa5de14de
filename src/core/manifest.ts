import { z } from 'zod';
import { NetlensError } from './errors.js';

/**
 * The model manifest: every fact about a converted model that code needs, written by the converter
 * next to the .onnx file (`<name>.json`) and read by every runtime. Never hard-code these facts.
 * See docs/manifest.md for the field-by-field description. Bump MANIFEST_VERSION on breaking changes.
 */
export const MANIFEST_VERSION = 1;

export const PREPROCESS_MODES = ['caffe', 'tf', 'torch', 'scale'] as const;
export const RESIZE_METHODS = ['nearest', 'bilinear', 'bilinear-align-corners', 'area'] as const;
export const OUTPUT_KINDS = ['probabilities', 'logits', 'features'] as const;
/** Variants `netlens quantize` writes (docs/quantize.md). */
export const QUANTIZATION_KINDS = ['int8', 'fp16'] as const;
/** How int8 activation ranges are chosen from the calibration statistics. */
export const CALIBRATION_METHODS = ['minmax', 'percentile', 'entropy'] as const;
/** int8 graph rewrites made for speed, each kept only where validation agreement allows (docs/quantize.md). */
export const SPEED_REWRITES = ['pool-after-conv'] as const;
/** How a speed rewrite is chosen: tried and kept when validation agreement holds, forced on, or off. */
export const REWRITE_MODES = ['try', 'on', 'off'] as const;
/** Runtimes an int8 variant can be tuned for (`netlens quantize --tune-for`, src/quantize/tune-for.ts). */
export const TUNING_RUNTIMES = ['cpu', 'wasm'] as const;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');

export const LabelEntrySchema = z.object({ id: z.string(), label: z.string() });

export const PreprocessingSchema = z
  .object({
    /** caffe: RGB→BGR, minus ImageNet BGR means. tf: x/127.5−1. torch: x/255, ImageNet mean/std. scale: x*factor+offset. */
    mode: z.enum(PREPROCESS_MODES),
    /** For mode 'scale': value = pixel * factor + offset (per channel when arrays). */
    factor: z.union([z.number(), z.array(z.number())]).optional(),
    offset: z.union([z.number(), z.array(z.number())]).optional(),
    resize: z.enum(RESIZE_METHODS),
    /** Channel order fed to the network after normalisation (caffe implies bgr). */
    channelOrder: z.enum(['rgb', 'bgr']).default('rgb'),
    /** Colour of the image the network expects: 'rgb' (3 channels) or 'grayscale' (1 channel, PIL 'L'). */
    color: z.enum(['rgb', 'grayscale']).default('rgb'),
  })
  .superRefine((p, ctx) => {
    if (p.mode === 'scale' && p.factor === undefined) {
      ctx.addIssue({ code: 'custom', message: "mode 'scale' needs 'factor'", path: ['factor'] });
    }
  });

const count = z.number().int().nonnegative();

/** A photo set, named by where it came from and identified by its hash (docs/quantize.md). */
const PhotoSetSchema = z.object({
  photos: z.string().describe('where the photos came from'),
  sha256: sha256.describe('sha256 of the sha256sum-style listing of the photos'),
  images: count,
});

/** Agreement of a variant with the float32 model it was made from, on held-out inputs. */
export const AgreementSchema = PhotoSetSchema.extend({
  variants: count.describe('inputs made from each photo (flips, crops, colour shifts)'),
  samples: count,
  top1: z.number().min(0).max(1),
  top5Overlap: z.number().min(0).max(1),
  top5Identical: z.number().min(0).max(1),
  maxAbsDiff: z.number().nonnegative(),
  meanAbsDiff: z.number().nonnegative(),
  /** The widest float32 top-1 − top-2 margin among inputs whose top-1 changed (0 when none did). */
  maxDisagreementMargin: z.number().nonnegative().optional(),
});

/** A variant measured on the validation inputs (top-1 agreement, mean KL(float32 ‖ variant), mean |Δp|). */
const ValidationMeasureSchema = z.object({
  top1: z.number().min(0).max(1),
  kl: z.number(),
  meanAbsDiff: z.number().nonnegative(),
});

/**
 * int8 accuracy-aware mixed precision (docs/quantize.md): measured on validation inputs (calibration photos
 * under augmentations not used to calibrate), the nodes kept float32 to reach `target`, and why.
 */
export const MixedPrecisionSchema = z.object({
  /** Validation top-1 agreement aimed at (0: no fallback). */
  target: z.number().min(0).max(1),
  validation: PhotoSetSchema.extend({ variants: count, samples: count }),
  /** All-int8, and the variant written. */
  before: ValidationMeasureSchema,
  after: ValidationMeasureSchema,
  reached: z.boolean(),
  rounds: count,
  trials: count,
  /** Most sensitive first; klGain: how much the KL fell with only that node float32 (sensitivity inputs). */
  float32Nodes: z.array(z.object({ node: z.string(), opType: z.string(), klGain: z.number() })),
});

/**
 * An int8 speed rewrite and what became of it: `sites` is where the graph allows it (e.g. AveragePools
 * moved); `validation` measures the variant built with it, after the fallback (absent when none was
 * built: mode off, or no site); a tried rewrite is `applied` when that variant reached the target.
 */
export const SpeedRewriteSchema = z.object({
  name: z.enum(SPEED_REWRITES),
  mode: z.enum(REWRITE_MODES),
  sites: count,
  applied: z.boolean(),
  validation: ValidationMeasureSchema.extend({ reached: z.boolean(), float32Nodes: count }).optional(),
});

/** Present on a quantized variant (int8 or fp16) of another model. */
export const QuantizationSchema = z.object({
  kind: z.enum(QUANTIZATION_KINDS),
  /** The float32 model this variant was made from. */
  from: z.object({ model: z.string(), sha256 }),
  weights: z.enum(['int8', 'float16']),
  activations: z.enum(['uint8', 'float16']),
  perChannel: z.boolean().optional(),
  method: z.enum(CALIBRATION_METHODS).optional(),
  /** Biases corrected for the mean error of the rounded weights. */
  biasCorrection: z.boolean().optional(),
  /** int8: the runtime whose integer kernels chose what stays float32 (`--tune-for`); absent means cpu. */
  tunedFor: z.enum(TUNING_RUNTIMES).optional(),
  /** int8 with pool-after-conv applied: how many AveragePools were moved below the 1×1 Conv after them. */
  poolsMovedBelowConv: z.number().int().nonnegative().optional(),
  /** int8: the speed rewrites tried, forced or switched off, and which were applied. */
  speedRewrites: z.array(SpeedRewriteSchema).optional(),
  calibration: PhotoSetSchema.optional(),
  agreement: AgreementSchema,
  /** Op types left in float32 inside an int8 model, with their count. */
  float32Ops: z.record(z.string(), count).optional(),
  /** Integer kernels onnxruntime-node (CPU) fused the model into, with their count. */
  integerOps: z.record(z.string(), count).optional(),
  mixedPrecision: MixedPrecisionSchema.optional(),
  /** What `netlens quantize` warned about (a small calibration set, a collapsed method, a missed target). */
  warnings: z.array(z.string()).optional(),
  quantizer: z.string(),
  quantizedAt: z.string(),
});

const ClassMetrics = z.object({
  label: z.string(),
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.number().int().nonnegative(),
});

/** How a classifier scored on images it was not trained on. */
export const EvaluationSchema = z.object({
  /** 'test': the held-out directory given to `netlens train --test`; 'validation': the validation split. */
  split: z.enum(['test', 'validation']),
  images: z.number().int().nonnegative(),
  accuracy: z.number(),
  macroF1: z.number(),
  perClass: z.array(ClassMetrics),
  /** confusion[true][predicted], in label order. */
  confusion: z.array(z.array(z.number().int().nonnegative())),
});

/** Written by `netlens train` (docs/train.md): where the model came from and how well it does. */
export const TrainingSchema = z.object({
  trainer: z.string(),
  base: z.object({ name: z.string(), sha256: sha256, features: sha256, featuresSize: z.number().int() }),
  dataset: z.object({
    /** sha256 over the sorted `label/sha256-of-image` lines of every image used. */
    sha256,
    source: z.string(),
    images: z.number().int().nonnegative(),
    train: z.number().int().nonnegative(),
    validation: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
  }),
  head: z.object({
    hidden: z.number().int().nonnegative(),
    epochs: z.number().int().nonnegative(),
    bestEpoch: z.number().int().nonnegative(),
    learningRate: z.number(),
    l2: z.number(),
    batchSize: z.number().int().positive(),
    seed: z.number().int(),
    balance: z.boolean(),
    augment: z.array(z.string()),
    backend: z.string(),
  }),
  evaluation: EvaluationSchema,
  /** The same head trained on raw downscaled pixels, evaluated on the same images. */
  baseline: z.object({ input: z.string(), evaluation: EvaluationSchema }).optional(),
});

/**
 * The human half of a manifest (optional, written by the converter's --card / the built-in models'
 * build): what the model is for and what its classes mean. Shown on the demo page and in
 * GET /v1/models/{model} next to the facts the manifest already holds (input, preprocessing, provenance).
 */
export const ModelCardSchema = z.object({
  /** A paragraph: what the model does and what it is not. */
  summary: z.string().min(1).optional(),
  /** What each class means, by label (every key must be one of the model's labels). */
  classes: z.record(z.string(), z.string()).optional(),
  /** What the model is meant for (and not for): for content-moderation models, a plain note. */
  intendedUse: z.string().min(1).optional(),
  /** Known weaknesses: data, accuracy, failure modes. */
  limitations: z.string().min(1).optional(),
  /** Where the model and its weights come from (project, paper, URL). */
  origin: z.string().min(1).optional(),
});

export const ManifestSchema = z.object({
  manifestVersion: z.literal(MANIFEST_VERSION),
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" or "-"'),
  architecture: z.string(),
  description: z.string().optional(),
  file: z.string().describe('the .onnx file, relative to the manifest'),
  input: z.object({
    name: z.string(),
    layout: z.literal('NHWC'),
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    channels: z.number().int().positive(),
    dtype: z.literal('float32'),
  }),
  output: z.object({
    name: z.string(),
    kind: z.enum(OUTPUT_KINDS),
    size: z.number().int().positive(),
  }),
  /** Optional second output/model with penultimate features (for /embed). */
  features: z
    .object({ file: z.string(), output: z.string(), size: z.number().int().positive(), sha256 })
    .optional(),
  preprocessing: PreprocessingSchema,
  /** Either Keras' imagenet_class_index.json shape or a plain list of names. Normalised by readManifest. */
  labels: z.union([
    z.record(z.string(), z.tuple([z.string(), z.string()])),
    z.array(z.string()),
    z.array(LabelEntrySchema),
  ]),
  sha256: z.object({ model: sha256, source: sha256.optional() }),
  provenance: z.object({
    source: z.string().describe('what the model was converted from'),
    format: z.string().describe('keras-h5-weights | keras-h5-model | keras-v3 | tfjs-layers | …'),
    kerasVersion: z.string().optional(),
    converter: z.string(),
    convertedAt: z.string(),
    opset: z.number().int(),
    parameters: z.number().int().nonnegative(),
    verification: z
      .object({
        reference: z.string(),
        /** The larger of the model's and the features model's maximum absolute differences. */
        maxAbsDiff: z.number(),
        /** Each model's own maximum absolute difference (older manifests have only maxAbsDiff). */
        modelMaxAbsDiff: z.number().optional(),
        featuresMaxAbsDiff: z.number().optional(),
        top1Agreement: z.number(),
        samples: z.number().int(),
      })
      .optional(),
    /**
     * The graph as converted and as onnxruntime (CPU, level 'all') optimises it: node counts and types,
     * the fusions it made ('Conv+Clip': activations folded into convolutions, 'QuickGelu', …) and the
     * activations it left as nodes of their own. Absent in manifests written before it was recorded.
     */
    graph: z
      .object({
        opset: z.number().int(),
        nodes: z.number().int().nonnegative(),
        ops: z.record(z.string(), z.number().int()),
        optimizedNodes: z.number().int().nonnegative(),
        optimizedOps: z.record(z.string(), z.number().int()),
        fused: z.record(z.string(), z.number().int()),
        unfusedActivations: z.record(z.string(), z.number().int()),
        optimizer: z.string(),
      })
      .optional(),
    license: z.string().optional(),
  }),
  training: TrainingSchema.optional(),
  card: ModelCardSchema.optional(),
  quantization: QuantizationSchema.optional(),
});

export type ManifestInput = z.input<typeof ManifestSchema>;
export type RawManifest = z.output<typeof ManifestSchema>;
export type Preprocessing = RawManifest['preprocessing'];
export type LabelEntry = z.infer<typeof LabelEntrySchema>;
export type Training = z.infer<typeof TrainingSchema>;
export type Evaluation = z.infer<typeof EvaluationSchema>;
export type ModelCard = z.infer<typeof ModelCardSchema>;
export type Quantization = z.infer<typeof QuantizationSchema>;
export type SpeedRewrite = (typeof SPEED_REWRITES)[number];
export type RewriteMode = (typeof REWRITE_MODES)[number];
export type SpeedRewriteRecord = z.infer<typeof SpeedRewriteSchema>;
export type QuantizationAgreement = z.infer<typeof AgreementSchema>;

/** A validated manifest with labels normalised to `{id, label}` by class index. */
export interface Manifest extends Omit<RawManifest, 'labels'> {
  labels: LabelEntry[];
}

function normaliseLabels(labels: RawManifest['labels']): LabelEntry[] {
  if (Array.isArray(labels)) {
    return labels.map((entry, index) =>
      typeof entry === 'string' ? { id: String(index), label: entry } : entry,
    );
  }
  const count = Object.keys(labels).length;
  const out: LabelEntry[] = [];
  for (let i = 0; i < count; i++) {
    const entry = labels[String(i)];
    if (!entry) {
      throw new NetlensError(
        'invalid_manifest',
        `labels: class index ${i} is missing (expected 0…${count - 1})`,
      );
    }
    out.push({ id: entry[0], label: entry[1] });
  }
  return out;
}

/** Validates a parsed manifest; errors name the field and what was wrong. */
export function parseManifest(value: unknown, where = 'manifest'): Manifest {
  const result = ManifestSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new NetlensError(
      'invalid_manifest',
      `${where} is not a valid netlens manifest: ${problems.join('; ')}`,
      {
        details: { problems },
      },
    );
  }
  const raw = result.data;
  const labels = normaliseLabels(raw.labels);
  if (raw.output.kind !== 'features' && labels.length !== raw.output.size) {
    throw new NetlensError(
      'invalid_manifest',
      `${where}: ${labels.length} labels for an output of ${raw.output.size} classes`,
    );
  }
  checkCardClasses(raw.card, labels, where);
  return { ...raw, labels };
}

/** A card's class descriptions must name real labels (a typo would silently describe nothing). */
function checkCardClasses(card: ModelCard | undefined, labels: readonly LabelEntry[], where: string): void {
  const known = new Set(labels.map((l) => l.label));
  const unknown = Object.keys(card?.classes ?? {}).filter((label) => !known.has(label));
  if (unknown.length > 0) {
    const some = labels.slice(0, 20).map((l) => l.label);
    throw new NetlensError(
      'invalid_manifest',
      `${where}: card.classes describes ${unknown.map((u) => `'${u}'`).join(', ')}, not among the labels (${some.join(', ')}${labels.length > some.length ? ', …' : ''})`,
      { details: { unknown } },
    );
  }
}

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
        maxAbsDiff: z.number(),
        top1Agreement: z.number(),
        samples: z.number().int(),
      })
      .optional(),
    license: z.string().optional(),
  }),
  training: TrainingSchema.optional(),
  card: ModelCardSchema.optional(),
});

export type ManifestInput = z.input<typeof ManifestSchema>;
export type RawManifest = z.output<typeof ManifestSchema>;
export type Preprocessing = RawManifest['preprocessing'];
export type LabelEntry = z.infer<typeof LabelEntrySchema>;
export type Training = z.infer<typeof TrainingSchema>;
export type Evaluation = z.infer<typeof EvaluationSchema>;
export type ModelCard = z.infer<typeof ModelCardSchema>;

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

import type { Manifest, Preprocessing } from '../core/manifest.js';
import type { Variant } from '../core/model-source.js';

/**
 * A model's card as the API shows it (GET /v1/models, GET /v1/models/{model}, and the demo page): the
 * manifest's human card (summary, what the classes mean, intended use, limitations, origin) beside the
 * facts that matter to a reader, spelled out — input, preprocessing, provenance with the source file's
 * sha256 and the verification result, and file sizes.
 */
export interface ModelCardView {
  description?: string;
  summary?: string;
  intendedUse?: string;
  limitations?: string;
  origin?: string;
  /** Every class with its meaning when the card gives one (GET /v1/models/{model} only). */
  classes?: { index: number; id: string; label: string; meaning?: string }[];
  input: string;
  preprocessing: string;
  provenance: {
    source: string;
    format: string;
    kerasVersion?: string;
    converter: string;
    convertedAt: string;
    license?: string;
    parameters: number;
    sourceSha256?: string;
    /** null: the conversion was not verified. */
    verification: { reference: string; maxAbsDiff: number; top1Agreement: number; samples: number } | null;
    /** The verification result in words. */
    verified: string;
  };
}

/** A model file as clients fetch it: content-addressed URL (when files are exposed), sha256 and size. */
export interface ModelFileRef {
  sha256: string;
  bytes?: number;
  url?: string;
}

export function modelCard(manifest: Manifest, options: { classes: boolean }): ModelCardView {
  const card = manifest.card ?? {};
  const p = manifest.provenance;
  return {
    ...(manifest.description !== undefined && { description: manifest.description }),
    ...(card.summary !== undefined && { summary: card.summary }),
    ...(card.intendedUse !== undefined && { intendedUse: card.intendedUse }),
    ...(card.limitations !== undefined && { limitations: card.limitations }),
    ...(card.origin !== undefined && { origin: card.origin }),
    ...(options.classes && {
      classes: manifest.labels.map((l, index) => ({
        index,
        ...l,
        ...(card.classes?.[l.label] !== undefined && { meaning: card.classes[l.label] }),
      })),
    }),
    input: `${manifest.input.height}×${manifest.input.width} ${manifest.preprocessing.color === 'grayscale' ? 'grayscale' : 'RGB'} (${manifest.input.layout} ${manifest.input.dtype}, input '${manifest.input.name}')`,
    preprocessing: describePreprocessing(manifest.preprocessing, manifest.input),
    provenance: {
      source: p.source,
      format: p.format,
      ...(p.kerasVersion !== undefined && { kerasVersion: p.kerasVersion }),
      converter: p.converter,
      convertedAt: p.convertedAt,
      ...(p.license !== undefined && { license: p.license }),
      parameters: p.parameters,
      ...(manifest.sha256.source !== undefined && { sourceSha256: manifest.sha256.source }),
      verification: p.verification ?? null,
      verified: p.verification
        ? `verified against ${p.verification.reference}: max |Δ| ${p.verification.maxAbsDiff.toExponential(1)} over ${p.verification.samples} inputs, top-1 agreement ${(p.verification.top1Agreement * 100).toFixed(0)}%`
        : 'not verified (converted without --verify)',
    },
  };
}

const RESIZE_WORDS: Record<Preprocessing['resize'], string> = {
  nearest: 'nearest neighbour (PIL NEAREST, Keras load_img default)',
  bilinear: 'bilinear (PIL BILINEAR, antialiased when shrinking)',
  'bilinear-align-corners': 'bilinear with aligned corners (TF.js, as nsfwjs)',
  area: 'area averaging (PIL BOX)',
};

/** The manifest's preprocessing in one sentence, in the order every runtime applies it. */
export function describePreprocessing(p: Preprocessing, input: { height: number; width: number }): string {
  const colour = p.color === 'grayscale' ? 'converted to grayscale' : 'converted to RGB';
  const steps = [
    'EXIF orientation applied',
    colour,
    `resized to ${input.height}×${input.width} by ${RESIZE_WORDS[p.resize]}`,
    normalisation(p),
  ];
  if (p.channelOrder === 'bgr' && p.mode !== 'caffe') steps.push('channels fed as BGR');
  return `${steps.join('; ')}.`;
}

function normalisation(p: Preprocessing): string {
  switch (p.mode) {
    case 'caffe':
      return "RGB→BGR minus the ImageNet means [103.939, 116.779, 123.68] (Keras 'caffe')";
    case 'tf':
      return "scaled to −1…1 as x / 127.5 − 1 (Keras 'tf')";
    case 'torch':
      return "x / 255, minus [0.485, 0.456, 0.406], divided by [0.229, 0.224, 0.225] (Keras 'torch')";
    case 'scale': {
      const factor = Array.isArray(p.factor) ? `[${p.factor.join(', ')}]` : fraction(p.factor ?? 1);
      const offset = Array.isArray(p.offset)
        ? ` + [${p.offset.join(', ')}]`
        : p.offset
          ? ` + ${p.offset}`
          : '';
      return `pixel × ${factor}${offset}`;
    }
  }
}

function fraction(n: number): string {
  const inverse = 1 / n;
  return Number.isInteger(Math.round(inverse * 1e6) / 1e6) && inverse > 1
    ? `1/${Math.round(inverse)}`
    : String(n);
}

/** Every variant's file reference; `url` only when the app serves model files. */
export async function fileRefs(
  manifest: Manifest,
  sizeOf: (variant: Variant) => Promise<number | undefined>,
  urlOf: ((variant: Variant, sha256: string) => string) | undefined,
): Promise<{ model: ModelFileRef; features?: ModelFileRef }> {
  const ref = async (variant: Variant, sha256: string): Promise<ModelFileRef> => {
    const bytes = await sizeOf(variant);
    return {
      sha256,
      ...(bytes !== undefined && { bytes }),
      ...(urlOf !== undefined && { url: urlOf(variant, sha256) }),
    };
  };
  return {
    model: await ref('model', manifest.sha256.model),
    ...(manifest.features !== undefined && { features: await ref('features', manifest.features.sha256) }),
  };
}

/** The content-addressed URL of a model file (immutable: a new file gets a new URL). */
export function modelFileUrl(model: string, variant: Variant, sha256: string): string {
  return `/v1/models/${encodeURIComponent(model)}/files/${variant}/${sha256}`;
}

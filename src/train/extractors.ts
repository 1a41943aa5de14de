import { createHash } from 'node:crypto';
import type { EngineSession, Float32Tensor } from '../core/engine.js';
import type { Manifest } from '../core/manifest.js';
import { type PipelineImage, preprocess, runRows } from '../core/pipeline.js';

/** The variants of an image a row can be computed from: as it is, or mirrored left to right. */
export type ImageVariant = 'plain' | 'flip';

/**
 * What turns images into feature rows, through the shared pipeline: `input` is core's preprocess
 * (the same decode and preprocessing as serving), `run` the engine call (runRows) or nothing.
 */
export interface FeatureExtractor {
  /** What computed the rows: the cache key (a hash of the model and its preprocessing). */
  readonly key: string;
  /** For messages: 'nsfw-mobilenet-v2 features (1280)'. */
  readonly name: string;
  readonly size: number;
  input(image: PipelineImage, variant: ImageVariant): Float32Tensor;
  run(inputs: readonly Float32Tensor[]): Promise<Float32Array[]>;
}

type InputSpec = Pick<Manifest, 'input' | 'preprocessing'>;

function keyOf(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

function preprocessed(image: PipelineImage, spec: InputSpec, variant: ImageVariant): Float32Tensor {
  const tensor = preprocess(image, spec);
  return variant === 'flip' ? flipHorizontal(tensor) : tensor;
}

/** The base model's features variant (manifest.features), run by the session `session()` gives. */
export function backboneExtractor(
  manifest: Manifest,
  session: () => Promise<EngineSession>,
): FeatureExtractor {
  const features = manifest.features!;
  return {
    key: keyOf(['features', features.sha256, features.output, manifest.input, manifest.preprocessing]),
    name: `${manifest.name} features (${features.size})`,
    size: features.size,
    input: (image, variant) => preprocessed(image, manifest, variant),
    run: async (inputs) =>
      (await runRows(await session(), inputs, features.output)).map((row) => row.slice()),
  };
}

/** The raw-pixel baseline: the image resized (PIL BOX) to size × size RGB, scaled to 0…1. */
export function pixelExtractor(size: number): FeatureExtractor {
  const spec: InputSpec = {
    input: { name: 'input', layout: 'NHWC', height: size, width: size, channels: 3, dtype: 'float32' },
    preprocessing: {
      mode: 'scale',
      factor: 1 / 255,
      offset: 0,
      resize: 'area',
      channelOrder: 'rgb',
      color: 'rgb',
    },
  };
  return {
    key: keyOf(['pixels', spec]),
    name: `raw pixels (${size}×${size}×3)`,
    size: size * size * 3,
    input: (image, variant) => preprocessed(image, spec, variant),
    run: async (inputs) => inputs.map((t) => t.data.slice()),
  };
}

/** An NHWC tensor mirrored left to right (the --augment flip variant). */
export function flipHorizontal(tensor: Float32Tensor): Float32Tensor {
  const [n = 1, h = 1, w = 1, c = 1] = tensor.dims;
  const out = new Float32Array(tensor.data.length);
  for (let row = 0; row < n * h; row++) {
    for (let x = 0; x < w; x++) {
      const from = (row * w + x) * c;
      out.set(tensor.data.subarray(from, from + c), (row * w + (w - 1 - x)) * c);
    }
  }
  return { data: out, dims: tensor.dims };
}

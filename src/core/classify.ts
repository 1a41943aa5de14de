import { DEFAULT_TOP, decodePredictions, toProbabilities, validateTop, type Prediction } from './decode.js';
import type { EngineSession, Float32Tensor } from './engine.js';
import { NetlensError } from './errors.js';
import { preprocessImage, stackBatch } from './image/index.js';
import type { DecodedImage } from './image-types.js';
import type { Manifest } from './manifest.js';

/** An image as a runtime decoded it, with its encoded bytes (for the EXIF orientation) when known. */
export interface ClassifierImage {
  readonly decoded: DecodedImage;
  readonly bytes?: Uint8Array;
}

export interface Classifier {
  readonly manifest: Manifest;
  readonly session: EngineSession;
  /** decode output → the model's input tensor [1, H, W, C] (orientation, colour, resize, normalisation). */
  preprocess(image: ClassifierImage): Float32Tensor;
  /** Class probabilities [N, classes] for an NHWC batch (softmax applied when the model outputs logits). */
  predictProbabilities(batch: Float32Tensor): Promise<Float32Tensor>;
  /** Top-k predictions per image of an NHWC batch (k defaults to 5, or the class count when smaller). */
  classifyTensor(batch: Float32Tensor, top?: number): Promise<Prediction[][]>;
  /** Preprocesses, stacks into one batch, runs and decodes. */
  classifyImages(images: readonly ClassifierImage[], top?: number): Promise<Prediction[][]>;
}

export interface CreateClassifierOptions {
  manifest: Manifest;
  /** A session created from the manifest's model by any Engine (injected: core imports no runtime). */
  session: EngineSession;
}

/** Connects the steps: preprocess → session.run → softmax (logits only) → top-k → labels. */
export function createClassifier({ manifest, session }: CreateClassifierOptions): Classifier {
  if (manifest.output.kind === 'features') {
    throw new NetlensError(
      'invalid_argument',
      `model '${manifest.name}' outputs features, not class scores: it cannot classify`,
    );
  }
  const { height, width, channels } = manifest.input;
  const outputName = manifest.output.name;
  const defaultTop = Math.min(DEFAULT_TOP, manifest.output.size);

  function checkBatch(batch: Float32Tensor): void {
    const [n, h, w, c] = batch.dims;
    if (
      batch.dims.length !== 4 ||
      h !== height ||
      w !== width ||
      c !== channels ||
      n === undefined ||
      n < 1 ||
      batch.data.length !== n * height * width * channels
    ) {
      throw new NetlensError(
        'invalid_argument',
        `model '${manifest.name}' takes NHWC [n, ${height}, ${width}, ${channels}]; got dims [${batch.dims.join(', ')}] with ${batch.data.length} values`,
        { details: { dims: [...batch.dims], expected: ['n', height, width, channels] } },
      );
    }
  }

  async function predictProbabilities(batch: Float32Tensor): Promise<Float32Tensor> {
    checkBatch(batch);
    const outputs = await session.run(batch, [outputName]);
    const output = outputs[outputName];
    if (output === undefined) {
      throw new NetlensError(
        'invalid_model_file',
        `model '${manifest.name}' has no output '${outputName}' (it has: ${session.outputNames.join(', ')})`,
      );
    }
    return toProbabilities(output, manifest);
  }

  async function classifyTensor(batch: Float32Tensor, top = defaultTop): Promise<Prediction[][]> {
    validateTop(top, manifest.output.size);
    const probabilities = await predictProbabilities(batch);
    return decodePredictions(
      probabilities,
      { ...manifest, output: { ...manifest.output, kind: 'probabilities' } },
      top,
    );
  }

  function preprocess(image: ClassifierImage): Float32Tensor {
    return preprocessImage(image.decoded, image.bytes, manifest);
  }

  async function classifyImages(
    images: readonly ClassifierImage[],
    top = defaultTop,
  ): Promise<Prediction[][]> {
    if (images.length === 0) return [];
    validateTop(top, manifest.output.size);
    return classifyTensor(stackBatch(images.map(preprocess)), top);
  }

  return { manifest, session, preprocess, predictProbabilities, classifyTensor, classifyImages };
}

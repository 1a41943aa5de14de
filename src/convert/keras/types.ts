import type { ManifestInput, Preprocessing } from '../../core/manifest.js';
import type { OutputKind } from './output-kind.js';

/** One weight array in Keras' layout (Conv2D kernel HWIO, Dense kernel [in, out], …). */
export interface KerasTensor {
  /** The weight's name as stored ('block1_conv1/kernel:0', 'vars/0', 'conv2d_1/kernel'). */
  name: string;
  dims: number[];
  data: Float32Array;
}

/**
 * Weights by layer name, each list in Keras' weight order: kernel, bias; depthwise_kernel,
 * pointwise_kernel, bias; gamma, beta, moving_mean, moving_variance (absent ones left out).
 * Layers inside nested models are keyed by their own (inner) layer name.
 */
export type KerasWeights = Map<string, KerasTensor[]>;

export const KERAS_FORMATS = ['keras-h5-weights', 'keras-h5-model', 'keras-v3', 'tfjs-layers'] as const;
export type KerasFormat = (typeof KERAS_FORMATS)[number];

/** A Keras model independent of the file it came from. */
export interface KerasModelSpec {
  /**
   * Keras 2 / tf.keras model JSON: `{ class_name: 'Functional'|'Model'|'Sequential', config: {...} }`.
   * Nested models are allowed. Keras 3 configs are accepted and normalised to this form.
   */
  config: unknown;
  weights: KerasWeights;
  format: KerasFormat;
  /** What the model was read from (a file name), for messages and the manifest. */
  source: string;
  /** The absolute path of the file read, where the verification reference reads it again itself. */
  path?: string;
  kerasVersion?: string;
  /** sha256 of the source file(s), when known. */
  sourceSha256?: string;
}

export interface ConvertProgress {
  phase: 'read' | 'graph' | 'lower' | 'serialise' | 'verify' | 'optimise' | 'write';
  done: number;
  total: number;
  detail?: string;
}

export interface ConvertOptions {
  /** Model name for the manifest and files (lowercase, digits, . _ -). */
  name: string;
  /** Architecture label for the manifest ('vgg16', 'nsfw-mobilenet-v2', 'custom'). */
  architecture?: string;
  /** What the ONNX output is; default 'probabilities' when the last layer ends in softmax, else 'logits'. */
  output?: OutputKind;
  /** Cut the graph after this layer (its output becomes the model output; implies 'features' unless output is given). */
  cutAt?: string;
  /** Manifest preprocessing; default depends on `architecture` (caffe+nearest for VGG/ResNet50, tf+nearest otherwise). */
  preprocessing?: Partial<Preprocessing>;
  /** Labels for the manifest: a list, Keras' class-index object, or undefined for generated 'class_N'. */
  labels?: ManifestInput['labels'];
  /**
   * Drop each layer's weights from `spec.weights` as soon as they are lowered, so the originals of
   * transposed kernels can be freed; the spec cannot be converted or verified again afterwards.
   */
  releaseWeights?: boolean;
  /** ONNX opset (default 17). */
  opset?: number;
  description?: string;
  license?: string;
  onProgress?: (progress: ConvertProgress) => void;
}

export interface ConversionSummary {
  parameters: number;
  onnxBytes: number;
  nodes: number;
  opHistogram: Record<string, number>;
  layers: number;
  inputShape: number[];
  outputShape: number[];
  /** True when the output is the model's logits: its final softmax was left out. */
  softmaxStripped: boolean;
  /** True when a softmax was appended because probabilities were asked of a model ending in logits. */
  softmaxAdded: boolean;
  /** The Keras layer whose output is the model output. */
  outputLayer: string;
  /** Layers that have weights in the file but are not part of the converted graph (e.g. a cut-off head). */
  unusedWeightLayers: string[];
  millis: number;
}

export interface ConversionResult {
  onnx: Uint8Array;
  /** The manifest without `file`/`sha256.model` filled for a specific location (see writeConvertedModel). */
  manifest: ManifestInput;
  summary: ConversionSummary;
}

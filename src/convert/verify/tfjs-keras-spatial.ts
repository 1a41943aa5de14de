import * as tf from '@tensorflow/tfjs';
import { shapesOf, tensorsOf, type LayerConfig, type Shape } from './tfjs-keras-util.js';

/** Keras-exact spatial layers for the TF.js reference (see tfjs-keras-layers.ts). */

/**
 * GlobalAveragePooling2D / GlobalMaxPooling2D with `keepdims=True` (keras/src/layers/pooling/
 * base_global_pooling.py: mean or max over H and W keeping them as size 1). TF.js has no keepdims.
 */
export class KerasGlobalPooling2DKeepdims extends tf.layers.Layer {
  static className = 'NetlensGlobalPooling2DKeepdims';
  private readonly reduce: 'avg' | 'max';
  constructor(config: LayerConfig & { reduce?: string }) {
    super(config);
    this.reduce = config.reduce === 'max' ? 'max' : 'avg';
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [shape] = shapesOf(inputShape) as [Shape];
    return [shape[0] ?? null, 1, 1, shape[3] ?? null];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x] = tensorsOf(inputs) as [tf.Tensor];
      return this.reduce === 'max' ? tf.max(x, [1, 2], true) : tf.mean(x, [1, 2], true);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), reduce: this.reduce };
  }
}

/**
 * UpSampling2D 'bilinear' as TF 2 / Keras 3 compute it: tf.image.resize, half-pixel centres, no
 * antialiasing (keras/src/layers/reshaping/up_sampling2d.py → ops.image.resize). TF.js' UpSampling2D
 * samples without half-pixel centres, like TF 1's resize_bilinear.
 */
export class KerasUpSampling2DHalfPixel extends tf.layers.Layer {
  static className = 'NetlensUpSampling2DHalfPixel';
  private readonly size: [number, number];
  constructor(config: LayerConfig & { size?: number | number[] }) {
    super(config);
    const s = config.size ?? [2, 2];
    this.size = Array.isArray(s) ? [s[0] ?? 2, s[1] ?? s[0] ?? 2] : [s, s];
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [shape] = shapesOf(inputShape) as [Shape];
    const [n, h, w, c] = shape;
    return [n ?? null, h == null ? null : h * this.size[0], w == null ? null : w * this.size[1], c ?? null];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x] = tensorsOf(inputs) as [tf.Tensor4D];
      const [, h, w] = x.shape;
      return tf.image.resizeBilinear(x, [h * this.size[0], w * this.size[1]], false, true);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size };
  }
}

/** keras/src/backend/common/backend_utils.py `_get_output_shape_given_tf_padding`. */
function transposedLength(
  size: number,
  kernel: number,
  stride: number,
  padding: string,
  outputPadding: number,
): number {
  return padding === 'valid'
    ? (size - 1) * stride + kernel + outputPadding
    : (size - 1) * stride + (kernel % 2) + outputPadding;
}

/**
 * Conv2DTranspose with `output_padding` (TF.js' Conv2DTranspose ignores it): the output length by
 * Keras' formula, then TF's conv2d_transpose to that shape (what Keras' TensorFlow backend runs).
 */
export class KerasConv2DTranspose extends tf.layers.Layer {
  static className = 'NetlensConv2DTranspose';
  private readonly args: {
    filters: number;
    kernelSize: [number, number];
    strides: [number, number];
    padding: 'same' | 'valid';
    outputPadding: [number, number];
    useBias: boolean;
    activation: string;
  };
  private readonly activationLayer: tf.layers.Layer;
  constructor(
    config: LayerConfig & {
      filters: number;
      kernelSize: number | number[];
      strides?: number | number[];
      padding?: string;
      outputPadding: number | number[];
      useBias?: boolean;
      activation?: string;
    },
  ) {
    super(config);
    const two = (v: number | number[] | undefined, d: number): [number, number] =>
      Array.isArray(v) ? [v[0] ?? d, v[1] ?? v[0] ?? d] : [v ?? d, v ?? d];
    this.args = {
      filters: config.filters,
      kernelSize: two(config.kernelSize, 1),
      strides: two(config.strides, 1),
      padding: config.padding === 'same' ? 'same' : 'valid',
      outputPadding: two(config.outputPadding, 0),
      useBias: config.useBias !== false,
      activation: config.activation ?? 'linear',
    };
    this.activationLayer = tf.layers.activation({ activation: this.args.activation as 'linear' });
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [shape] = shapesOf(inputShape) as [Shape];
    const { kernelSize, filters, useBias } = this.args;
    this.addWeight('kernel', [...kernelSize, filters, shape[3] ?? 1], 'float32', tf.initializers.zeros());
    if (useBias) this.addWeight('bias', [filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }
  private outShape(shape: Shape): [number, number] {
    const { kernelSize: k, strides: s, padding: p, outputPadding: o } = this.args;
    return [
      transposedLength(shape[1] ?? 1, k[0], s[0], p, o[0]),
      transposedLength(shape[2] ?? 1, k[1], s[1], p, o[1]),
    ];
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [shape] = shapesOf(inputShape) as [Shape];
    return [shape[0] ?? null, ...this.outShape(shape), this.args.filters];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x] = tensorsOf(inputs) as [tf.Tensor4D];
      const [kernel, bias] = this.weights.map((v) => v.read());
      const [h, w] = this.outShape(x.shape);
      let y: tf.Tensor = tf.conv2dTranspose(
        x,
        kernel as tf.Tensor4D,
        [x.shape[0], h, w, this.args.filters],
        this.args.strides,
        this.args.padding,
      );
      if (bias) y = tf.add(y, bias);
      return this.activationLayer.apply(y) as tf.Tensor;
    });
  }
}

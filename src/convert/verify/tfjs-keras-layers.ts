import * as tf from '@tensorflow/tfjs';
import { tfOpKey } from '../keras/lower/tf-ops.js';
import { KERAS_ACTIVATIONS } from './tfjs-keras-activations.js';

/**
 * Keras layers that TensorFlow.js layers lacks or implements differently, written on TF.js ops so the
 * verification reference stays an implementation independent of the ONNX lowering. Each follows the
 * Keras source named in its comment (keras-team/keras, keras/src/…). tfjs-topology.ts rewrites a model's
 * config to use them; registerKerasLayers() makes them known to TF.js' deserialiser.
 */

type Shape = (number | null)[];
/** What TF.js passes a layer's constructor: the Keras config with camelCase keys. */
type LayerConfig = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

function shapesOf(inputShape: tf.Shape | tf.Shape[]): Shape[] {
  return Array.isArray(inputShape[0]) ? (inputShape as Shape[]) : [inputShape as Shape];
}

function tensorsOf(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

/** layers/merging/base_merge.py `_compute_elemwise_op_output_shape`, over the shapes without batch. */
function broadcastShape(shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = new Array<number | null>(rank).fill(1);
  out[0] = null;
  for (const shape of shapes) {
    const offset = rank - shape.length;
    for (let i = 1; i < shape.length; i++) {
      const a = out[offset + i] ?? null;
      const b = shape[i] ?? null;
      out[offset + i] = a === 1 ? b : b === 1 ? a : a;
    }
  }
  return out;
}

/** base_merge.py `call`: lower-rank inputs get axes of size 1 after the batch axis. */
function expandToSameRank(xs: tf.Tensor[]): tf.Tensor[] {
  const rank = Math.max(...xs.map((x) => x.rank));
  return xs.map((x) => {
    let y = x;
    while (y.rank < rank) y = tf.expandDims(y, 1);
    return y;
  });
}

/** keras/src/layers/merging/subtract.py: inputs[0] − inputs[1], broadcasting as every merge. */
export class KerasSubtract extends tf.layers.Layer {
  static className = 'Subtract';
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return broadcastShape(shapesOf(inputShape));
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [a, b] = expandToSameRank(tensorsOf(inputs));
      return tf.sub(a as tf.Tensor, b as tf.Tensor);
    });
  }
}

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
 * Keras ReLU with threshold and negative_slope (keras/src/activations/activations.py ReLU.static_call;
 * TF.js' ReLU layer reads only max_value): x·(x > threshold), clipped to [0, max_value], minus
 * negative_slope·relu(threshold − x).
 */
export class KerasReLU extends tf.layers.Layer {
  static className = 'NetlensKerasReLU';
  private readonly maxValue: number | null;
  private readonly negativeSlope: number;
  private readonly threshold: number;
  constructor(
    config: LayerConfig & { maxValue?: number | null; negativeSlope?: number; threshold?: number },
  ) {
    super(config);
    this.maxValue = config.maxValue ?? null;
    this.negativeSlope = config.negativeSlope ?? 0;
    this.threshold = config.threshold ?? 0;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x] = tensorsOf(inputs) as [tf.Tensor];
      let y = tf.mul(x, tf.cast(tf.greater(x, this.threshold), 'float32'));
      if (this.maxValue !== null) y = tf.clipByValue(y, 0, this.maxValue);
      const negative = tf.relu(tf.sub(this.threshold, x));
      return tf.sub(y, tf.mul(this.negativeSlope, negative));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    const { maxValue, negativeSlope, threshold } = this;
    return { ...super.getConfig(), maxValue, negativeSlope, threshold };
  }
}

/**
 * keras/src/layers/preprocessing/normalization.py (tf.keras 2's has the same formula and weights): mean
 * and variance from the config, or weights mean, variance, count (adapt()); (x − mean) / max(√var, 1e-7),
 * or mean + x · max(√var, 1e-7) with invert. Kept axes: the last (axis −1) or none (axis None).
 */
export class KerasNormalization extends tf.layers.Layer {
  static className = 'Normalization';
  private readonly axis: number[];
  private readonly invert: boolean;
  private readonly configMean: number | number[] | null;
  private readonly configVariance: number | number[] | null;
  constructor(
    config: LayerConfig & {
      axis?: number | number[] | null;
      invert?: boolean;
      mean?: number | number[] | null;
      variance?: number | number[] | null;
    },
  ) {
    super(config);
    this.axis = config.axis === null ? [] : Array.isArray(config.axis) ? config.axis : [config.axis ?? -1];
    this.invert = config.invert === true;
    this.configMean = config.mean ?? null;
    this.configVariance = config.variance ?? null;
  }
  private keptSize(inputShape: tf.Shape): number {
    return this.axis.length === 0 ? 1 : (inputShape[inputShape.length - 1] ?? 1);
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [shape] = shapesOf(inputShape) as [Shape];
    if (this.configMean === null) {
      const size = this.axis.length === 0 ? [] : [this.keptSize(shape)];
      const zeros = tf.initializers.zeros();
      this.addWeight('mean', size, 'float32', zeros, undefined, false);
      this.addWeight('variance', size, 'float32', tf.initializers.ones(), undefined, false);
      this.addWeight('count', [], 'float32', zeros, undefined, false);
    }
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x] = tensorsOf(inputs) as [tf.Tensor];
      const [meanVar, varVar] = this.weights;
      const mean = meanVar ? meanVar.read() : tf.tensor(this.configMean ?? 0);
      const variance = varVar ? varVar.read() : tf.tensor(this.configVariance ?? 1);
      const std = tf.maximum(tf.sqrt(variance), 1e-7);
      return this.invert ? tf.add(mean, tf.mul(x, std)) : tf.div(tf.sub(x, mean), std);
    });
  }
}

/**
 * PReLU (keras/src/layers/activations/prelu.py `call`): relu(x) − alpha·relu(−x), alpha broadcast like
 * any operand. TF.js' own PReLU, on the WASM backend, indexes alpha as if it broadcast on the last axis
 * only (wrong for shared_axes=[3]: alpha [H, W, 1]).
 */
export class KerasPReLU extends tf.layers.Layer {
  static className = 'NetlensKerasPReLU';
  private readonly sharedAxes: number[];
  constructor(config: LayerConfig & { sharedAxes?: number | number[] | null }) {
    super(config);
    const axes = config.sharedAxes;
    this.sharedAxes = axes === null || axes === undefined ? [] : Array.isArray(axes) ? axes : [axes];
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [shape] = shapesOf(inputShape) as [Shape];
    const dims = shape.slice(1).map((d, i) => (this.sharedAxes.includes(i + 1) ? 1 : (d ?? 1)));
    this.addWeight('alpha', dims, 'float32', tf.initializers.zeros());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x] = tensorsOf(inputs) as [tf.Tensor];
      const alpha = (this.weights[0] as tf.LayerVariable).read();
      return tf.sub(tf.relu(x), tf.mul(alpha, tf.relu(tf.neg(x))));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), sharedAxes: this.sharedAxes };
  }
}

/** ELU with any alpha (keras/src/activations/activations.py elu): x > 0 ? x : alpha·(exp(x) − 1). TF.js' ELU takes alpha 1 only. */
export class KerasELU extends tf.layers.Layer {
  static className = 'NetlensKerasELU';
  private readonly alpha: number;
  constructor(config: LayerConfig & { alpha?: number }) {
    super(config);
    this.alpha = config.alpha ?? 1;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x] = tensorsOf(inputs) as [tf.Tensor];
      return tf.where(tf.greater(x, 0), x, tf.mul(this.alpha, tf.sub(tf.exp(x), 1)));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alpha: this.alpha };
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

/** TF ops on TF.js, by tfOpKey: the element-wise functions a TFOpLambda may apply. */
const TF_UNARY: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  'nn.relu': (x) => tf.relu(x),
  'nn.relu6': (x) => tf.relu6(x),
  'math.sigmoid': (x) => tf.sigmoid(x),
  'nn.sigmoid': (x) => tf.sigmoid(x),
  'math.tanh': (x) => tf.tanh(x),
  'nn.tanh': (x) => tf.tanh(x),
  'nn.silu': (x) => tf.mul(x, tf.sigmoid(x)),
  'nn.swish': (x) => tf.mul(x, tf.sigmoid(x)),
  'nn.hardsigmoid': (x) => tf.div(tf.relu6(tf.add(x, 3)), 6),
  'nn.hardsilu': (x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)),
  'nn.elu': (x) => tf.elu(x),
  'nn.selu': (x) => tf.selu(x),
  'math.softplus': (x) => tf.softplus(x),
  'nn.softplus': (x) => tf.softplus(x),
  'math.exp': (x) => tf.exp(x),
};
const TF_BINARY: Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  'operators.add': tf.add,
  'math.add': tf.add,
  'operators.sub': tf.sub,
  'math.subtract': tf.sub,
  'operators.mul': tf.mul,
  'math.multiply': tf.mul,
  'operators.truediv': tf.div,
  'math.truediv': tf.div,
  'math.divide': tf.div,
  'math.maximum': tf.maximum,
  'math.minimum': tf.minimum,
};

/**
 * tf.keras' TFOpLambda (keras/layers/core/tf_op_layer.py: the TF function applied to the call's first
 * argument with the call keywords, `x + 3.` → `tf.__operators__.add(x, y=3.)`), and Keras 3 operation
 * nodes rewritten into that form. Constant operands (numbers in the `x`/`y` keywords) arrive in the
 * config as `operands`: TF.js passes call keywords only while building the graph (tfjs-topology.ts moves them).
 */
type Operands = { x?: number | number[]; y?: number | number[] };

export class KerasTfOpLambda extends tf.layers.Layer {
  static className = 'TFOpLambda';
  private readonly fn: string;
  private readonly operands: Operands;
  constructor(config: LayerConfig & { function?: string; operands?: Operands }) {
    super(config);
    this.fn = tfOpKey(String(config.function ?? ''));
    this.operands = config.operands ?? {};
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return broadcastShape(shapesOf(inputShape));
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const xs = expandToSameRank(tensorsOf(inputs));
      const unary = TF_UNARY[this.fn];
      if (unary && xs.length === 1 && this.operands.y === undefined) return unary(xs[0] as tf.Tensor);
      const binary = TF_BINARY[this.fn];
      if (!binary) throw new Error(`TFOpLambda: no TF.js equivalent of '${this.fn}'`);
      const operand = (role: 'x' | 'y'): tf.Tensor => {
        const value = this.operands[role];
        return value === undefined ? (xs.shift() as tf.Tensor) : tf.tensor(value);
      };
      const x = operand('x');
      return binary(x, operand('y'));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), function: this.fn, operands: this.operands };
  }
}

let registered = false;

/** Registers the layers above and the activations of tfjs-keras-activations.ts with TF.js' deserialiser (once). */
export function registerKerasLayers(): void {
  if (registered) return;
  registered = true;
  for (const cls of [
    KerasSubtract,
    KerasGlobalPooling2DKeepdims,
    KerasReLU,
    KerasNormalization,
    KerasTfOpLambda,
    KerasPReLU,
    KerasELU,
    KerasUpSampling2DHalfPixel,
    KerasConv2DTranspose,
  ])
    tf.serialization.registerClass(cls);
  for (const cls of KERAS_ACTIVATIONS) tf.serialization.registerClass(cls);
}

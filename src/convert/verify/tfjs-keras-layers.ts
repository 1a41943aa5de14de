import * as tf from '@tensorflow/tfjs';
import { KERAS_ACTIVATIONS } from './tfjs-keras-activations.js';
import {
  KerasConv2DTranspose,
  KerasGlobalPooling2DKeepdims,
  KerasUpSampling2DHalfPixel,
} from './tfjs-keras-spatial.js';
import { KerasTfOpLambda } from './tfjs-keras-tf-ops.js';
import {
  broadcastShape,
  expandToSameRank,
  shapesOf,
  tensorsOf,
  type LayerConfig,
  type Shape,
} from './tfjs-keras-util.js';

/**
 * Keras layers that TensorFlow.js layers lacks or implements differently, written on TF.js ops so the
 * verification reference stays an implementation independent of the ONNX lowering. Each follows the
 * Keras source named in its comment (keras-team/keras, keras/src/…). tfjs-topology.ts rewrites a model's
 * config to use them; registerKerasLayers() makes them known to TF.js' deserialiser.
 */

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

let registered = false;

/** Registers the layers above and the activations of tfjs-keras-activations.ts with TF.js' deserialiser (once). */
export { KerasConv2DTranspose, KerasGlobalPooling2DKeepdims, KerasTfOpLambda, KerasUpSampling2DHalfPixel };

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

import * as tf from '@tensorflow/tfjs';
import { tfOpKey } from '../keras/lower/tf-ops.js';
import {
  broadcastShape,
  expandToSameRank,
  shapesOf,
  tensorsOf,
  type LayerConfig,
} from './tfjs-keras-util.js';

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

import * as tf from '@tensorflow/tfjs';
import { type Random, seededRandom, shuffled } from './random.js';

/** Row-major float32 rows (one image per row). */
export interface Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

export interface LabelledMatrix extends Matrix {
  /** Class index of each row. */
  readonly labels: Int32Array;
}

export interface HeadConfig {
  readonly classes: number;
  /** Units of the hidden ReLU layer; 0 = softmax regression. */
  readonly hidden: number;
  readonly epochs: number;
  readonly learningRate: number;
  /** Keras' l2 regulariser on the kernels: loss += l2 · Σ w². */
  readonly l2: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Epochs without a lower validation loss before training stops (the best epoch's weights are kept). */
  readonly patience: number;
  /** Per-class loss weights (--balance), else every class weighs 1. */
  readonly classWeights?: Float32Array | undefined;
}

export interface DenseLayer {
  /** [outputs, inputs], row-major (ONNX Gemm with transB = 1). */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly inputs: number;
  readonly outputs: number;
}

/** The trained head: standardise (x − mean) · scale, then Dense [→ ReLU → Dense] → softmax. */
export interface Head {
  readonly mean: Float32Array;
  readonly scale: Float32Array;
  readonly layers: readonly DenseLayer[];
}

export interface EpochStats {
  epoch: number;
  /** Mean cross-entropy and accuracy on the training rows, after the epoch. */
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
}

export interface TrainedHead {
  readonly head: Head;
  readonly history: EpochStats[];
  /** The epoch whose weights were kept (the lowest validation loss; the last without validation). */
  readonly bestEpoch: number;
}

/**
 * Per-column mean and 1/std of the training rows, computed in float64 (a constant column gets scale 1,
 * as scikit-learn's StandardScaler does).
 */
export function standardiser(train: Matrix): { mean: Float32Array; scale: Float32Array } {
  const { rows, cols, data } = train;
  const sum = new Float64Array(cols);
  const squares = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) sum[c]! += data[r * cols + c]!;
  }
  const mean = sum.map((s) => s / rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) squares[c]! += (data[r * cols + c]! - mean[c]!) ** 2;
  }
  const scale = squares.map((s) => {
    const std = Math.sqrt(s / rows);
    return std > 1e-8 ? 1 / std : 1;
  });
  return { mean: Float32Array.from(mean), scale: Float32Array.from(scale) };
}

interface Variables {
  kernels: tf.Variable[];
  biases: tf.Variable[];
}

function glorotVariables(inputs: number, config: HeadConfig): Variables {
  const sizes = layerSizes(inputs, config);
  const kernels: tf.Variable[] = [];
  const biases: tf.Variable[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [fanIn, fanOut] = [sizes[i]!, sizes[i + 1]!];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    kernels.push(tf.variable(tf.randomUniform([fanOut, fanIn], -limit, limit, 'float32', config.seed + i)));
    biases.push(tf.variable(tf.zeros([fanOut, 1])));
  }
  return { kernels, biases };
}

function layerSizes(inputs: number, config: Pick<HeadConfig, 'hidden' | 'classes'>): number[] {
  return config.hidden > 0 ? [inputs, config.hidden, config.classes] : [inputs, config.classes];
}

/**
 * Logits [rows, classes] of standardised rows x [rows, features]. Kernels are stored [out, in] (ONNX
 * Gemm's transB layout) and activations are column-major ([units, rows]): the first product is
 * W · xᵀ, whose kernel gradient (dz · x) is a plain product. With row-major activations that gradient
 * is xᵀ · dz, a transposed left operand, which TF.js' WASM backend runs about 3× slower.
 */
function logitsOf(x: tf.Tensor2D, v: { kernels: tf.Tensor[]; biases: tf.Tensor[] }): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  v.kernels.forEach((kernel, i) => {
    const product =
      i === 0
        ? tf.matMul(kernel as tf.Tensor2D, h, false, true)
        : tf.matMul(kernel as tf.Tensor2D, tf.relu(h));
    h = tf.add(product, v.biases[i]!);
  });
  return tf.transpose(h);
}

/** Rows standardised in float32 arithmetic, as the exported graph's Sub and Mul compute them. */
function standardise(m: Matrix, mean: Float32Array, scale: Float32Array): Float32Array {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = i % m.cols;
    out[i] = Math.fround(Math.fround(m.data[i]! - mean[c]!) * scale[c]!);
  }
  return out;
}

/** The rows `index` of a row-major matrix, as a tensor [index.length, cols]. */
function rowsOf(data: Float32Array, cols: number, index: ArrayLike<number>): tf.Tensor2D {
  const out = new Float32Array(cols * index.length);
  for (let j = 0; j < index.length; j++)
    out.set(data.subarray(index[j]! * cols, (index[j]! + 1) * cols), j * cols);
  return tf.tensor2d(out, [index.length, cols]);
}

/** Mean cross-entropy and accuracy of `v` on standardised rows. */
function score(x: tf.Tensor2D, labels: Int32Array, v: Variables, classes: number) {
  return tf.tidy(() => {
    const z = logitsOf(x, v);
    const truth = tf.tensor1d(labels, 'int32');
    const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(truth, classes), z).dataSync()[0]!;
    const hits = tf.equal(tf.argMax(z, 1), truth).sum().dataSync()[0]!;
    return { loss, accuracy: hits / labels.length };
  });
}

async function snapshot(v: Variables): Promise<Float32Array[]> {
  return Promise.all([...v.kernels, ...v.biases].map(async (t) => (await t.data()) as Float32Array));
}

interface Batches {
  /** Standardised training rows, row-major. */
  x: Float32Array;
  cols: number;
  labels: Int32Array;
  /** Loss weight of each class. */
  classWeights: Float32Array;
}

function runEpoch(
  b: Batches,
  v: Variables,
  optimizer: tf.Optimizer,
  random: Random,
  config: HeadConfig,
): void {
  const order = Int32Array.from(shuffled([...Array(b.labels.length).keys()], random));
  for (let start = 0; start < order.length; start += config.batchSize) {
    const index = order.subarray(start, start + config.batchSize);
    tf.tidy(() => {
      const x = rowsOf(b.x, b.cols, index);
      const labels = Int32Array.from(index, (i) => b.labels[i]!);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), config.classes);
      const weights = tf.tensor1d(Float32Array.from(labels, (l) => b.classWeights[l]!));
      optimizer.minimize(() => {
        const ce = tf.losses.softmaxCrossEntropy(y, logitsOf(x, v), undefined, 0, tf.Reduction.NONE);
        const penalty = v.kernels.reduce((sum: tf.Tensor, k) => sum.add(tf.sum(tf.square(k))), tf.scalar(0));
        return tf.mean(tf.mul(ce, weights)).add(penalty.mul(config.l2)) as tf.Scalar;
      });
    });
  }
}

/**
 * Trains the head with Adam on mini-batches in a seeded order, with early stopping on the validation
 * loss (patience; the best epoch's weights are restored). Same rows, config and TF.js backend → the
 * same weights, bit for bit.
 */
export async function trainHead(
  train: LabelledMatrix,
  validation: LabelledMatrix | undefined,
  config: HeadConfig,
  onEpoch: (stats: EpochStats) => void = () => undefined,
): Promise<TrainedHead> {
  const { mean, scale } = standardiser(train);
  const x = standardise(train, mean, scale);
  const batches: Batches = {
    x,
    cols: train.cols,
    labels: train.labels,
    classWeights: config.classWeights ?? new Float32Array(config.classes).fill(1),
  };
  const xAll = tf.tensor2d(x, [train.rows, train.cols]);
  const xv =
    validation && validation.rows > 0
      ? tf.tensor2d(standardise(validation, mean, scale), [validation.rows, validation.cols])
      : undefined;
  const v = glorotVariables(train.cols, config);
  const optimizer = tf.train.adam(config.learningRate);
  const random = seededRandom(config.seed);
  const history: EpochStats[] = [];
  let best = { loss: Infinity, epoch: 0, weights: await snapshot(v) };
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      runEpoch(batches, v, optimizer, random, config);
      const stats: EpochStats = { epoch, ...score(xAll, train.labels, v, config.classes) };
      if (xv && validation) {
        const s = score(xv, validation.labels, v, config.classes);
        Object.assign(stats, { valLoss: s.loss, valAccuracy: s.accuracy });
      }
      history.push(stats);
      onEpoch(stats);
      const monitored = stats.valLoss ?? -epoch; // without validation: keep the last epoch
      if (monitored < best.loss) best = { loss: monitored, epoch, weights: await snapshot(v) };
      else if (xv && epoch - best.epoch >= config.patience) break;
    }
  } finally {
    tf.dispose([xAll, ...(xv ? [xv] : []), ...v.kernels, ...v.biases]);
    optimizer.dispose();
  }
  return { head: headOf(best.weights, mean, scale, train.cols, config), history, bestEpoch: best.epoch };
}

function headOf(
  weights: Float32Array[],
  mean: Float32Array,
  scale: Float32Array,
  inputs: number,
  config: HeadConfig,
): Head {
  const sizes = layerSizes(inputs, config);
  const count = sizes.length - 1;
  const layers = Array.from({ length: count }, (_, i) => ({
    weights: weights[i]!,
    bias: weights[count + i]!,
    inputs: sizes[i]!,
    outputs: sizes[i + 1]!,
  }));
  return { mean, scale, layers };
}

/** Class probabilities (rows × classes) of the head on raw feature rows, computed with TF.js. */
export function predictHead(head: Head, rows: Matrix): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor2d(standardise(rows, head.mean, head.scale), [rows.rows, rows.cols]);
    const v = {
      kernels: head.layers.map((l) => tf.tensor2d(l.weights, [l.outputs, l.inputs])),
      biases: head.layers.map((l) => tf.tensor2d(l.bias, [l.outputs, 1])),
    };
    return tf.softmax(logitsOf(x, v)).dataSync() as Float32Array;
  });
}

import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import {
  activation,
  add,
  batchNorm,
  conv2d,
  correctPad,
  depthwiseConv2d,
  dropout,
  flatten,
  globalAveragePool,
  input,
  multiply,
  relu,
  rescaling,
  tfOpLambda,
  zeroPadding,
} from './layers.js';
import { makeDivisible } from './mobilenet.js';
import type { ArchitectureOptions } from './options.js';
import { poolFeatures } from './vgg.js';

type Act = (x: TensorRef) => TensorRef;
/** [expansion, filters, kernel ('k' = the model's 5), stride, squeeze-excite, hard-swish] per block. */
type BlockSpec = [number, number, 3 | 'k', 1 | 2, boolean, boolean];

const SMALL: BlockSpec[] = [
  [1, 16, 3, 2, true, false], [72 / 16, 24, 3, 2, false, false], [88 / 24, 24, 3, 1, false, false],
  [4, 40, 'k', 2, true, true], [6, 40, 'k', 1, true, true], [6, 40, 'k', 1, true, true],
  [3, 48, 'k', 1, true, true], [3, 48, 'k', 1, true, true], [6, 96, 'k', 2, true, true],
  [6, 96, 'k', 1, true, true], [6, 96, 'k', 1, true, true],
]; // prettier-ignore

const LARGE: BlockSpec[] = [
  [1, 16, 3, 1, false, false], [4, 24, 3, 2, false, false], [3, 24, 3, 1, false, false],
  [3, 40, 'k', 2, true, false], [3, 40, 'k', 1, true, false], [3, 40, 'k', 1, true, false],
  [6, 80, 3, 2, false, true], [2.5, 80, 3, 1, false, true], [2.3, 80, 3, 1, false, true],
  [2.3, 80, 3, 1, false, true], [6, 112, 3, 1, true, true], [6, 112, 3, 1, true, true],
  [6, 160, 'k', 2, true, true], [6, 160, 'k', 1, true, true], [6, 160, 'k', 1, true, true],
]; // prettier-ignore

/** Layer names of the two generations: tf.keras 2.x ('Conv/BatchNorm') and Keras 3 ('conv_bn'). */
interface Naming {
  model: { small: string; large: string };
  /** A block's prefix from its id (0 has none). */
  prefix: (id: number) => string;
  /** Joins a name and its suffix ('Conv' + 'BatchNorm'). */
  join: (name: string, part: string) => string;
  bn: string;
  conv: string;
  conv1: string;
  conv2: string;
  logits: string;
  predictions: string;
  add: string;
  se: { pool: string; conv: string; relu: string; conv1: string; mul: string };
}

const TF_KERAS: Naming = {
  model: { small: 'MobilenetV3small', large: 'MobilenetV3large' },
  prefix: (id) => (id ? `expanded_conv_${id}/` : 'expanded_conv/'),
  join: (name, part) => `${name}/${part}`,
  bn: 'BatchNorm',
  conv: 'Conv',
  conv1: 'Conv_1',
  conv2: 'Conv_2',
  logits: 'Logits',
  predictions: 'Predictions',
  add: 'Add',
  se: { pool: 'AvgPool', conv: 'Conv', relu: 'Relu', conv1: 'Conv_1', mul: 'Mul' },
};

const KERAS_3: Naming = {
  model: { small: 'MobileNetV3Small', large: 'MobileNetV3Large' },
  prefix: (id) => (id ? `expanded_conv_${id}_` : 'expanded_conv_'),
  join: (name, part) => `${name}_${part}`,
  bn: 'bn',
  conv: 'conv',
  conv1: 'conv_1',
  conv2: 'conv_2',
  logits: 'logits',
  predictions: 'predictions',
  add: 'add',
  se: { pool: 'avg_pool', conv: 'conv', relu: 'relu', conv1: 'conv_1', mul: 'mul' },
};

/**
 * keras.applications.MobileNetV3Small/Large (alpha 1, minimalistic False, include_preprocessing True).
 * Generation 'tf-keras' has tf.keras 2.x's layer names ('Conv/BatchNorm', 'expanded_conv_1/depthwise'),
 * which the official weight files carry, and `hard_swish(x) = Multiply()([x, hard_sigmoid(x)])`;
 * 'keras-3' has Keras 3's ('conv_bn', 'expanded_conv_1_depthwise') and `Activation('hard_swish')`. Both
 * write `hard_sigmoid(x) = ReLU(6.)(x + 3.) * (1. / 6.)`, whose `+ 3.` and `* (1/6)` are TFOpLambda layers
 * `tf.__operators__.add` / `tf.math.multiply` in tf.keras (operation nodes `add` / `multiply` in Keras 3).
 * The model takes raw RGB pixels in [0, 255].
 */
function mobilenetV3(
  size: 'small' | 'large',
  o: ArchitectureOptions,
  generation: 'tf-keras' | 'keras-3' = 'tf-keras',
): BuiltModel {
  const blocks = size === 'small' ? SMALL : LARGE;
  const lastPointChannels = size === 'small' ? 1024 : 1280;
  const n = generation === 'tf-keras' ? TF_KERAS : KERAS_3;
  const b = new FunctionalBuilder(generation === 'tf-keras' ? 'tf-keras-2' : 'keras-3');
  const bn = (x: TensorRef, name: string): TensorRef =>
    batchNorm(b, x, { epsilon: 1e-3, axis: -1, momentum: 0.999 }, name);
  const plainRelu: Act = (x) => relu(b, x, null);
  const hardSigmoid: Act = (x) =>
    tfOpLambda(b, relu(b, tfOpLambda(b, x, '__operators__.add', 3), 6), 'math.multiply', 1 / 6);
  // tf.keras constructs Multiply() before evaluating its inputs; names have separate counters, so the
  // order of the calls below gives the same names.
  const hardSwish: Act = (x) =>
    generation === 'tf-keras' ? multiply(b, [x, hardSigmoid(x)]) : activation(b, x, 'hard_swish');

  const seBlock = (inputs: TensorRef, filters: number, prefix: string): TensorRef => {
    const se = (part: string): string => n.join(`${prefix}squeeze_excite`, part);
    let x = globalAveragePool(b, inputs, se(n.se.pool), true);
    x = conv2d(
      b,
      x,
      { filters: makeDivisible(filters * 0.25), kernel: [1, 1], padding: 'same' },
      se(n.se.conv),
    );
    x = relu(b, x, null, se(n.se.relu));
    x = conv2d(b, x, { filters, kernel: [1, 1], padding: 'same' }, se(n.se.conv1));
    x = hardSigmoid(x);
    return multiply(b, [inputs, x], se(n.se.mul));
  };

  const invertedResBlock = (x0: TensorRef, spec: BlockSpec, id: number): TensorRef => {
    const [expansion, filters, k, stride, se, hs] = spec;
    const kernel = k === 'k' ? 5 : k;
    const act = hs ? hardSwish : plainRelu;
    const inFilters = x0.shape[2] ?? 0;
    let x = x0;
    const prefix = n.prefix(id);
    if (id) {
      x = conv2d(
        b,
        x,
        { filters: makeDivisible(inFilters * expansion), kernel: [1, 1], padding: 'same', useBias: false },
        `${prefix}expand`,
      );
      x = act(bn(x, n.join(`${prefix}expand`, n.bn)));
    }
    if (stride === 2) x = zeroPadding(b, x, correctPad(x, kernel), n.join(`${prefix}depthwise`, 'pad'));
    x = depthwiseConv2d(
      b,
      x,
      {
        kernel: [kernel, kernel],
        strides: [stride, stride],
        padding: stride === 1 ? 'same' : 'valid',
        useBias: false,
      },
      `${prefix}depthwise`,
    );
    x = act(bn(x, n.join(`${prefix}depthwise`, n.bn)));
    if (se) x = seBlock(x, makeDivisible(inFilters * expansion), prefix);
    x = conv2d(b, x, { filters, kernel: [1, 1], padding: 'same', useBias: false }, `${prefix}project`);
    x = bn(x, n.join(`${prefix}project`, n.bn));
    if (stride === 1 && inFilters === filters) x = add(b, [x0, x], `${prefix}${n.add}`);
    return x;
  };

  const img = input(b, o.inputShape);
  let x = rescaling(b, img, 1 / 127.5, -1);
  x = conv2d(b, x, { filters: 16, kernel: [3, 3], strides: [2, 2], padding: 'same', useBias: false }, n.conv);
  x = hardSwish(bn(x, n.join(n.conv, n.bn)));
  blocks.forEach((spec, id) => {
    x = invertedResBlock(x, spec, id);
  });
  const lastConvChannels = makeDivisible((x.shape[2] ?? 0) * 6);
  x = conv2d(b, x, { filters: lastConvChannels, kernel: [1, 1], padding: 'same', useBias: false }, n.conv1);
  x = hardSwish(bn(x, n.join(n.conv1, n.bn)));

  if (o.includeTop) {
    x = globalAveragePool(b, x, undefined, true);
    x = conv2d(b, x, { filters: lastPointChannels, kernel: [1, 1], padding: 'same' }, n.conv2);
    x = hardSwish(x);
    x = dropout(b, x, 0.2);
    x = conv2d(b, x, { filters: o.classes, kernel: [1, 1], padding: 'same' }, n.logits);
    x = flatten(b, x);
    x = activation(b, x, 'softmax', n.predictions);
  } else {
    x = poolFeatures(b, x, o.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  return b.toJson(n.model[size], img, x);
}

/** keras.applications.MobileNetV3Small (2,554,968 parameters with the top). */
export const mobilenetV3Small = (o: ArchitectureOptions): BuiltModel => mobilenetV3('small', o);

/** keras.applications.MobileNetV3Large (5,507,432 parameters with the top). */
export const mobilenetV3Large = (o: ArchitectureOptions): BuiltModel => mobilenetV3('large', o);

/** The same models as Keras 3 names and writes them (for Keras 3 files built from them). */
export const mobilenetV3Keras3 = (size: 'small' | 'large', o: ArchitectureOptions): BuiltModel =>
  mobilenetV3(size, o, 'keras-3');

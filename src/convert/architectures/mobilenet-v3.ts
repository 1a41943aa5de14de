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

/**
 * keras.applications.MobileNetV3Small/Large (alpha 1, minimalistic False, include_preprocessing True) with
 * tf.keras 2.x's layer names ('Conv/BatchNorm', 'expanded_conv_1/depthwise'), which the official weight
 * files carry. tf.keras writes `hard_sigmoid(x) = ReLU(6.)(x + 3.) * (1. / 6.)`, whose `+ 3.` and
 * `* (1/6)` become TFOpLambda layers `tf.__operators__.add` and `tf.math.multiply`; here each is a
 * Rescaling layer of that name doing the same arithmetic. The model takes raw RGB pixels in [0, 255].
 */
function mobilenetV3(
  modelName: string,
  blocks: BlockSpec[],
  lastPointChannels: number,
  o: ArchitectureOptions,
): BuiltModel {
  const b = new FunctionalBuilder('tf-keras-2');
  const bn = (x: TensorRef, name: string): TensorRef =>
    batchNorm(b, x, { epsilon: 1e-3, axis: -1, momentum: 0.999 }, name);
  const plainRelu: Act = (x) => relu(b, x, null);
  const hardSigmoid: Act = (x) => {
    const shifted = rescaling(b, x, 1, 3, undefined, { autoPrefix: 'tf.__operators__.add' });
    return rescaling(b, relu(b, shifted, 6), 1 / 6, 0, undefined, { autoPrefix: 'tf.math.multiply' });
  };
  const hardSwish: Act = (x) => {
    // Keras constructs Multiply() before evaluating its inputs; names have separate counters, so the order
    // of the calls below gives the same names.
    return multiply(b, [x, hardSigmoid(x)]);
  };

  const seBlock = (inputs: TensorRef, filters: number, prefix: string): TensorRef => {
    let x = globalAveragePool(b, inputs, `${prefix}squeeze_excite/AvgPool`, true);
    x = conv2d(
      b,
      x,
      { filters: makeDivisible(filters * 0.25), kernel: [1, 1], padding: 'same' },
      `${prefix}squeeze_excite/Conv`,
    );
    x = relu(b, x, null, `${prefix}squeeze_excite/Relu`);
    x = conv2d(b, x, { filters, kernel: [1, 1], padding: 'same' }, `${prefix}squeeze_excite/Conv_1`);
    x = hardSigmoid(x);
    return multiply(b, [inputs, x], `${prefix}squeeze_excite/Mul`);
  };

  const invertedResBlock = (x0: TensorRef, spec: BlockSpec, id: number): TensorRef => {
    const [expansion, filters, k, stride, se, hs] = spec;
    const kernel = k === 'k' ? 5 : k;
    const act = hs ? hardSwish : plainRelu;
    const inFilters = x0.shape[2] ?? 0;
    let x = x0;
    let prefix = 'expanded_conv/';
    if (id) {
      prefix = `expanded_conv_${id}/`;
      x = conv2d(
        b,
        x,
        { filters: makeDivisible(inFilters * expansion), kernel: [1, 1], padding: 'same', useBias: false },
        `${prefix}expand`,
      );
      x = act(bn(x, `${prefix}expand/BatchNorm`));
    }
    if (stride === 2) x = zeroPadding(b, x, correctPad(x, kernel), `${prefix}depthwise/pad`);
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
    x = act(bn(x, `${prefix}depthwise/BatchNorm`));
    if (se) x = seBlock(x, makeDivisible(inFilters * expansion), prefix);
    x = conv2d(b, x, { filters, kernel: [1, 1], padding: 'same', useBias: false }, `${prefix}project`);
    x = bn(x, `${prefix}project/BatchNorm`);
    if (stride === 1 && inFilters === filters) x = add(b, [x0, x], `${prefix}Add`);
    return x;
  };

  const img = input(b, o.inputShape);
  let x = rescaling(b, img, 1 / 127.5, -1);
  x = conv2d(b, x, { filters: 16, kernel: [3, 3], strides: [2, 2], padding: 'same', useBias: false }, 'Conv');
  x = hardSwish(bn(x, 'Conv/BatchNorm'));
  blocks.forEach((spec, id) => {
    x = invertedResBlock(x, spec, id);
  });
  const lastConvChannels = makeDivisible((x.shape[2] ?? 0) * 6);
  x = conv2d(b, x, { filters: lastConvChannels, kernel: [1, 1], padding: 'same', useBias: false }, 'Conv_1');
  x = hardSwish(bn(x, 'Conv_1/BatchNorm'));

  if (o.includeTop) {
    x = globalAveragePool(b, x, undefined, true);
    x = conv2d(b, x, { filters: lastPointChannels, kernel: [1, 1], padding: 'same' }, 'Conv_2');
    x = hardSwish(x);
    x = dropout(b, x, 0.2);
    x = conv2d(b, x, { filters: o.classes, kernel: [1, 1], padding: 'same' }, 'Logits');
    x = flatten(b, x);
    x = activation(b, x, 'softmax', 'Predictions');
  } else {
    x = poolFeatures(b, x, o.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  return b.toJson(modelName, img, x);
}

/** keras.applications.MobileNetV3Small (2,554,968 parameters with the top). */
export const mobilenetV3Small = (o: ArchitectureOptions): BuiltModel =>
  mobilenetV3('MobilenetV3small', SMALL, 1024, o);

/** keras.applications.MobileNetV3Large (5,507,432 parameters with the top). */
export const mobilenetV3Large = (o: ArchitectureOptions): BuiltModel =>
  mobilenetV3('MobilenetV3large', LARGE, 1280, o);

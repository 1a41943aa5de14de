import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import type { JsonObject } from './keras-json.js';
import {
  activation,
  add,
  batchNorm,
  conv2d,
  correctPad,
  dense,
  depthwiseConv2d,
  dropout,
  globalAveragePool,
  input,
  multiply,
  normalization,
  rescaling,
  reshape,
  zeroPadding,
} from './layers.js';
import type { ArchitectureOptions } from './options.js';
import { poolFeatures } from './vgg.js';

interface BlockArgs {
  kernel: number;
  repeats: number;
  filtersIn: number;
  filtersOut: number;
  expandRatio: number;
  strides: 1 | 2;
}

/** efficientnet.DEFAULT_BLOCKS_ARGS (id_skip true and se_ratio 0.25 everywhere). */
const BLOCKS: readonly BlockArgs[] = [
  { kernel: 3, repeats: 1, filtersIn: 32, filtersOut: 16, expandRatio: 1, strides: 1 },
  { kernel: 3, repeats: 2, filtersIn: 16, filtersOut: 24, expandRatio: 6, strides: 2 },
  { kernel: 5, repeats: 2, filtersIn: 24, filtersOut: 40, expandRatio: 6, strides: 2 },
  { kernel: 3, repeats: 3, filtersIn: 40, filtersOut: 80, expandRatio: 6, strides: 2 },
  { kernel: 5, repeats: 3, filtersIn: 80, filtersOut: 112, expandRatio: 6, strides: 1 },
  { kernel: 5, repeats: 4, filtersIn: 112, filtersOut: 192, expandRatio: 6, strides: 2 },
  { kernel: 3, repeats: 1, filtersIn: 192, filtersOut: 320, expandRatio: 6, strides: 1 },
];
const SE_RATIO = 0.25;
const DROP_CONNECT_RATE = 0.2;
const IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225];

const CONV_INIT: JsonObject = {
  class_name: 'VarianceScaling',
  config: { scale: 2.0, mode: 'fan_out', distribution: 'truncated_normal', seed: null },
};

export interface EfficientNetVariant {
  modelName: string;
  width: number;
  depth: number;
  dropout: number;
}

/**
 * keras.applications.efficientnet.EfficientNet as built with weights='imagenet' (tf.keras 2.x names,
 * which the official weight files carry): Rescaling(1/255) → Normalization (mean and variance are
 * weights) → Rescaling(1/√std), the compensation Keras applies because the official files store the
 * standard deviations where the variance belongs. The model takes raw RGB pixels in [0, 255].
 */
function efficientnet(
  v: EfficientNetVariant,
  o: ArchitectureOptions,
  flavour: 'tf-keras-2' | 'keras-3' = 'tf-keras-2',
): BuiltModel {
  const b = new FunctionalBuilder(flavour);
  const bn = (x: TensorRef, name: string): TensorRef => batchNorm(b, x, { epsilon: 1e-3, axis: 3 }, name);
  const swish = (x: TensorRef, name: string): TensorRef => activation(b, x, 'swish', name);
  const conv1x1 = (x: TensorRef, filters: number, name: string): TensorRef =>
    conv2d(b, x, { filters, kernel: [1, 1], padding: 'same', useBias: false, initializer: CONV_INIT }, name);
  const roundFilters = (filters: number): number => {
    const divisor = 8;
    const f = filters * v.width;
    let rounded = Math.max(divisor, Math.floor(Math.floor(f + divisor / 2) / divisor) * divisor);
    if (rounded < 0.9 * f) rounded += divisor;
    return rounded;
  };
  const roundRepeats = (repeats: number): number => Math.ceil(v.depth * repeats);

  const block = (inputs: TensorRef, dropRate: number, name: string, a: BlockArgs): TensorRef => {
    const filters = a.filtersIn * a.expandRatio;
    let x = inputs;
    if (a.expandRatio !== 1)
      x = swish(
        bn(conv1x1(x, filters, `${name}expand_conv`), `${name}expand_bn`),
        `${name}expand_activation`,
      );
    if (a.strides === 2) x = zeroPadding(b, x, correctPad(x, a.kernel), `${name}dwconv_pad`);
    x = depthwiseConv2d(
      b,
      x,
      {
        kernel: [a.kernel, a.kernel],
        strides: [a.strides, a.strides],
        padding: a.strides === 2 ? 'valid' : 'same',
        useBias: false,
        initializer: CONV_INIT,
      },
      `${name}dwconv`,
    );
    x = swish(bn(x, `${name}bn`), `${name}activation`);
    // Squeeze and excite.
    const filtersSe = Math.max(1, Math.floor(a.filtersIn * SE_RATIO));
    let se = globalAveragePool(b, x, `${name}se_squeeze`);
    se = reshape(b, se, [1, 1, filters], `${name}se_reshape`);
    se = conv2d(
      b,
      se,
      { filters: filtersSe, kernel: [1, 1], padding: 'same', activation: 'swish', initializer: CONV_INIT },
      `${name}se_reduce`,
    );
    se = conv2d(
      b,
      se,
      { filters, kernel: [1, 1], padding: 'same', activation: 'sigmoid', initializer: CONV_INIT },
      `${name}se_expand`,
    );
    x = multiply(b, [x, se], `${name}se_excite`);
    x = bn(conv1x1(x, a.filtersOut, `${name}project_conv`), `${name}project_bn`);
    if (a.strides === 1 && a.filtersIn === a.filtersOut) {
      if (dropRate > 0) x = dropout(b, x, dropRate, `${name}drop`, [null, 1, 1, 1]);
      x = add(b, [x, inputs], `${name}add`);
    }
    return x;
  };

  const img = input(b, o.inputShape);
  let x = rescaling(b, img, 1 / 255, 0);
  x = normalization(b, x);
  x = rescaling(
    b,
    x,
    IMAGENET_STDDEV_RGB.map((s) => 1 / Math.sqrt(s)),
    0,
  );
  x = zeroPadding(b, x, correctPad(x, 3), 'stem_conv_pad');
  x = conv2d(
    b,
    x,
    { filters: roundFilters(32), kernel: [3, 3], strides: [2, 2], useBias: false, initializer: CONV_INIT },
    'stem_conv',
  );
  x = swish(bn(x, 'stem_bn'), 'stem_activation');

  const total = BLOCKS.reduce((sum, a) => sum + roundRepeats(a.repeats), 0);
  let done = 0;
  BLOCKS.forEach((args, i) => {
    const base = {
      ...args,
      filtersIn: roundFilters(args.filtersIn),
      filtersOut: roundFilters(args.filtersOut),
    };
    for (let j = 0; j < roundRepeats(args.repeats); j++) {
      const a = j > 0 ? { ...base, strides: 1 as const, filtersIn: base.filtersOut } : base;
      x = block(x, (DROP_CONNECT_RATE * done) / total, `block${i + 1}${String.fromCharCode(97 + j)}_`, a);
      done += 1;
    }
  });
  x = swish(bn(conv1x1(x, roundFilters(1280), 'top_conv'), 'top_bn'), 'top_activation');

  if (o.includeTop) {
    x = globalAveragePool(b, x, 'avg_pool');
    if (v.dropout > 0) x = dropout(b, x, v.dropout, 'top_dropout');
    x = dense(b, x, o.classes, 'softmax', 'predictions');
  } else {
    x = poolFeatures(b, x, o.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  return b.toJson(v.modelName, img, x);
}

const variant = (n: number, width: number, depth: number, drop: number): EfficientNetVariant => ({
  modelName: `efficientnetb${n}`,
  width,
  depth,
  dropout: drop,
});

/** keras.applications.EfficientNetB0 … B7: width and depth coefficients and top dropout as Keras'. */
export const EFFICIENTNET_VARIANTS = {
  efficientnet_b0: variant(0, 1.0, 1.0, 0.2),
  efficientnet_b1: variant(1, 1.0, 1.1, 0.2),
  efficientnet_b2: variant(2, 1.1, 1.2, 0.3),
  efficientnet_b3: variant(3, 1.2, 1.4, 0.3),
  efficientnet_b4: variant(4, 1.4, 1.8, 0.4),
  efficientnet_b5: variant(5, 1.6, 2.2, 0.4),
  efficientnet_b6: variant(6, 1.8, 2.6, 0.5),
  efficientnet_b7: variant(7, 2.0, 3.1, 0.5),
} as const;

export type EfficientNetName = keyof typeof EFFICIENTNET_VARIANTS;

/** The same model as Keras 3 writes it (names differ only in the input: 'input_layer'). */
export const efficientnetKeras3 = (name: EfficientNetName, o: ArchitectureOptions): BuiltModel =>
  efficientnet(EFFICIENTNET_VARIANTS[name], o, 'keras-3');

export const efficientnetBuilder =
  (name: EfficientNetName) =>
  (o: ArchitectureOptions): BuiltModel =>
    efficientnet(EFFICIENTNET_VARIANTS[name], o);

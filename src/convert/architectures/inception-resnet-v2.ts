import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import {
  activation,
  add,
  averagePool,
  batchNorm,
  concatenate,
  conv2d,
  dense,
  globalAveragePool,
  input,
  maxPool,
  rescaling,
} from './layers.js';
import type { ArchitectureOptions } from './options.js';
import { poolFeatures } from './vgg.js';

type Kernel = number | [number, number];

/**
 * keras-applications `inception_resnet_v2.InceptionResNetV2` (55,873,736 parameters with the top).
 * Keras joins each residual block with `Lambda(lambda inputs, scale: inputs[0] + inputs[1] * scale)`
 * named `block35_1` etc.; Lambda code cannot be converted, so here the block's `_conv` output goes through
 * a Rescaling(scale) stand-in (`block35_1_scale`, no weights, ordered as part of the join) and an Add that
 * keeps the Lambda's name: the same arithmetic, the same weighted layers in the same order.
 */
export function inceptionResNetV2(o: ArchitectureOptions): BuiltModel {
  const b = new FunctionalBuilder('keras-2.2');
  const convBn = (
    x: TensorRef,
    filters: number,
    kernel: Kernel,
    opts: {
      strides?: number;
      padding?: 'same' | 'valid';
      activation?: string | null;
      useBias?: boolean;
      name?: string;
    } = {},
  ): TensorRef => {
    const k: [number, number] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
    const s = opts.strides ?? 1;
    const useBias = opts.useBias ?? false;
    const name = opts.name;
    let y = conv2d(
      b,
      x,
      { filters, kernel: k, strides: [s, s], padding: opts.padding ?? 'same', useBias },
      name,
    );
    if (!useBias)
      y = batchNorm(
        b,
        y,
        { epsilon: 1e-3, axis: 3, scale: false },
        name === undefined ? undefined : `${name}_bn`,
      );
    const fn = opts.activation === undefined ? 'relu' : opts.activation;
    if (fn !== null) y = activation(b, y, fn, name === undefined ? undefined : `${name}_ac`);
    return y;
  };

  const block = (
    x: TensorRef,
    scale: number,
    type: 'block35' | 'block17' | 'block8',
    idx: number,
    fn: string | null = 'relu',
  ): TensorRef => {
    let branches: TensorRef[];
    if (type === 'block35') {
      const b0 = convBn(x, 32, 1);
      const b1 = convBn(convBn(x, 32, 1), 32, 3);
      const b2 = convBn(convBn(convBn(x, 32, 1), 48, 3), 64, 3);
      branches = [b0, b1, b2];
    } else if (type === 'block17') {
      const b0 = convBn(x, 192, 1);
      const b1 = convBn(convBn(convBn(x, 128, 1), 160, [1, 7]), 192, [7, 1]);
      branches = [b0, b1];
    } else {
      const b0 = convBn(x, 192, 1);
      const b1 = convBn(convBn(convBn(x, 192, 1), 224, [1, 3]), 256, [3, 1]);
      branches = [b0, b1];
    }
    const name = `${type}_${idx}`;
    const mixed = concatenate(b, branches, 3, `${name}_mixed`);
    let up = convBn(mixed, x.shape[2] ?? 0, 1, { activation: null, useBias: true, name: `${name}_conv` });
    if (scale !== 1) up = rescaling(b, up, scale, 0, `${name}_scale`, { standIn: true });
    let y = add(b, [x, up], name);
    if (fn !== null) y = activation(b, y, fn, `${name}_ac`);
    return y;
  };

  const img = input(b, o.inputShape);
  // Stem.
  let x = convBn(img, 32, 3, { strides: 2, padding: 'valid' });
  x = convBn(x, 32, 3, { padding: 'valid' });
  x = convBn(x, 64, 3);
  x = maxPool(b, x, { pool: [3, 3], strides: [2, 2] });
  x = convBn(x, 80, 1, { padding: 'valid' });
  x = convBn(x, 192, 3, { padding: 'valid' });
  x = maxPool(b, x, { pool: [3, 3], strides: [2, 2] });

  // Mixed 5b (Inception-A): 35 × 35 × 320.
  {
    const b0 = convBn(x, 96, 1);
    const b1 = convBn(convBn(x, 48, 1), 64, 5);
    const b2 = convBn(convBn(convBn(x, 64, 1), 96, 3), 96, 3);
    const bp = convBn(averagePool(b, x, { pool: [3, 3], strides: [1, 1], padding: 'same' }), 64, 1);
    x = concatenate(b, [b0, b1, b2, bp], 3, 'mixed_5b');
  }
  for (let i = 1; i <= 10; i++) x = block(x, 0.17, 'block35', i);

  // Mixed 6a (Reduction-A): 17 × 17 × 1088.
  {
    const b0 = convBn(x, 384, 3, { strides: 2, padding: 'valid' });
    const b1 = convBn(convBn(convBn(x, 256, 1), 256, 3), 384, 3, { strides: 2, padding: 'valid' });
    const bp = maxPool(b, x, { pool: [3, 3], strides: [2, 2] });
    x = concatenate(b, [b0, b1, bp], 3, 'mixed_6a');
  }
  for (let i = 1; i <= 20; i++) x = block(x, 0.1, 'block17', i);

  // Mixed 7a (Reduction-B): 8 × 8 × 2080.
  {
    const b0 = convBn(convBn(x, 256, 1), 384, 3, { strides: 2, padding: 'valid' });
    const b1 = convBn(convBn(x, 256, 1), 288, 3, { strides: 2, padding: 'valid' });
    const b2 = convBn(convBn(convBn(x, 256, 1), 288, 3), 320, 3, { strides: 2, padding: 'valid' });
    const bp = maxPool(b, x, { pool: [3, 3], strides: [2, 2] });
    x = concatenate(b, [b0, b1, b2, bp], 3, 'mixed_7a');
  }
  for (let i = 1; i <= 9; i++) x = block(x, 0.2, 'block8', i);
  x = block(x, 1, 'block8', 10, null);
  x = convBn(x, 1536, 1, { name: 'conv_7b' });

  if (o.includeTop) {
    x = globalAveragePool(b, x, 'avg_pool');
    x = dense(b, x, o.classes, 'softmax', 'predictions');
  } else {
    x = poolFeatures(b, x, o.pooling);
  }
  return b.toJson('inception_resnet_v2', img, x);
}

import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import {
  activation,
  add,
  batchNorm,
  conv2d,
  dense,
  globalAveragePool,
  input,
  maxPool,
  separableConv2d,
} from './layers.js';
import type { ArchitectureOptions } from './options.js';
import { poolFeatures } from './vgg.js';

/** keras-applications `xception.Xception` (22,910,480 parameters with the top). */
export function xception(o: ArchitectureOptions): BuiltModel {
  const b = new FunctionalBuilder('keras-2.2');
  const bn = (x: TensorRef, name?: string): TensorRef => batchNorm(b, x, { epsilon: 1e-3, axis: -1 }, name);
  const relu = (x: TensorRef, name: string): TensorRef => activation(b, x, 'relu', name);
  const sep = (x: TensorRef, filters: number, name: string): TensorRef =>
    separableConv2d(b, x, { filters, kernel: [3, 3], padding: 'same', useBias: false }, name);
  const residualConv = (x: TensorRef, filters: number): TensorRef =>
    bn(conv2d(b, x, { filters, kernel: [1, 1], strides: [2, 2], padding: 'same', useBias: false }));
  const pool = (x: TensorRef, name: string): TensorRef =>
    maxPool(b, x, { pool: [3, 3], strides: [2, 2], padding: 'same' }, name);

  const img = input(b, o.inputShape);
  let x = conv2d(b, img, { filters: 32, kernel: [3, 3], strides: [2, 2], useBias: false }, 'block1_conv1');
  x = relu(bn(x, 'block1_conv1_bn'), 'block1_conv1_act');
  x = conv2d(b, x, { filters: 64, kernel: [3, 3], useBias: false }, 'block1_conv2');
  x = relu(bn(x, 'block1_conv2_bn'), 'block1_conv2_act');

  // Entry flow: block 2 starts without a ReLU (the previous activation already applied it).
  let residual = residualConv(x, 128);
  x = bn(sep(x, 128, 'block2_sepconv1'), 'block2_sepconv1_bn');
  x = relu(x, 'block2_sepconv2_act');
  x = bn(sep(x, 128, 'block2_sepconv2'), 'block2_sepconv2_bn');
  x = add(b, [pool(x, 'block2_pool'), residual]);

  for (const [block, filters] of [
    [3, 256],
    [4, 728],
  ] as const) {
    residual = residualConv(x, filters);
    x = relu(x, `block${block}_sepconv1_act`);
    x = bn(sep(x, filters, `block${block}_sepconv1`), `block${block}_sepconv1_bn`);
    x = relu(x, `block${block}_sepconv2_act`);
    x = bn(sep(x, filters, `block${block}_sepconv2`), `block${block}_sepconv2_bn`);
    x = add(b, [pool(x, `block${block}_pool`), residual]);
  }

  // Middle flow: 8 identity blocks.
  for (let i = 0; i < 8; i++) {
    residual = x;
    const prefix = `block${i + 5}`;
    for (let j = 1; j <= 3; j++) {
      x = relu(x, `${prefix}_sepconv${j}_act`);
      x = bn(sep(x, 728, `${prefix}_sepconv${j}`), `${prefix}_sepconv${j}_bn`);
    }
    x = add(b, [x, residual]);
  }

  // Exit flow.
  residual = residualConv(x, 1024);
  x = relu(x, 'block13_sepconv1_act');
  x = bn(sep(x, 728, 'block13_sepconv1'), 'block13_sepconv1_bn');
  x = relu(x, 'block13_sepconv2_act');
  x = bn(sep(x, 1024, 'block13_sepconv2'), 'block13_sepconv2_bn');
  x = add(b, [pool(x, 'block13_pool'), residual]);
  x = relu(bn(sep(x, 1536, 'block14_sepconv1'), 'block14_sepconv1_bn'), 'block14_sepconv1_act');
  x = relu(bn(sep(x, 2048, 'block14_sepconv2'), 'block14_sepconv2_bn'), 'block14_sepconv2_act');

  if (o.includeTop) {
    x = globalAveragePool(b, x, 'avg_pool');
    x = dense(b, x, o.classes, 'softmax', 'predictions');
  } else {
    x = poolFeatures(b, x, o.pooling);
  }
  return b.toJson('xception', img, x);
}

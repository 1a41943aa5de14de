import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import {
  activation,
  averagePool,
  batchNorm,
  concatenate,
  conv2d,
  dense,
  globalAveragePool,
  input,
  maxPool,
} from './layers.js';
import type { ArchitectureOptions } from './options.js';
import { poolFeatures } from './vgg.js';

/** keras-applications `inception_v3.InceptionV3` (23,851,784 parameters with the top). */
export function inceptionV3(o: ArchitectureOptions): BuiltModel {
  const b = new FunctionalBuilder('keras-2.2');
  // conv2d_bn: Conv2D without bias, BatchNormalization(scale=False, epsilon 1e-3), ReLU; all unnamed.
  const cbn = (
    x: TensorRef,
    filters: number,
    rows: number,
    cols: number,
    padding: 'same' | 'valid' = 'same',
    strides: [number, number] = [1, 1],
  ): TensorRef => {
    const conv = conv2d(b, x, { filters, kernel: [rows, cols], strides, padding, useBias: false });
    return activation(b, batchNorm(b, conv, { epsilon: 1e-3, axis: 3, scale: false }), 'relu');
  };
  const avg3 = (x: TensorRef): TensorRef =>
    averagePool(b, x, { pool: [3, 3], strides: [1, 1], padding: 'same' });
  const max3 = (x: TensorRef): TensorRef => maxPool(b, x, { pool: [3, 3], strides: [2, 2] });

  const img = input(b, o.inputShape);
  let x = cbn(img, 32, 3, 3, 'valid', [2, 2]);
  x = cbn(x, 32, 3, 3, 'valid');
  x = cbn(x, 64, 3, 3);
  x = max3(x);
  x = cbn(x, 80, 1, 1, 'valid');
  x = cbn(x, 192, 3, 3, 'valid');
  x = max3(x);

  // mixed 0, 1, 2: 35 × 35 × 256/288/288
  for (const [i, poolFilters] of [32, 64, 64].entries()) {
    const branch1x1 = cbn(x, 64, 1, 1);
    const branch5x5 = cbn(cbn(x, 48, 1, 1), 64, 5, 5);
    const branch3x3dbl = cbn(cbn(cbn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3);
    const branchPool = cbn(avg3(x), poolFilters, 1, 1);
    x = concatenate(b, [branch1x1, branch5x5, branch3x3dbl, branchPool], 3, `mixed${i}`);
  }

  // mixed 3: 17 × 17 × 768
  {
    const branch3x3 = cbn(x, 384, 3, 3, 'valid', [2, 2]);
    const branch3x3dbl = cbn(cbn(cbn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, 'valid', [2, 2]);
    const branchPool = max3(x);
    x = concatenate(b, [branch3x3, branch3x3dbl, branchPool], 3, 'mixed3');
  }

  // mixed 4, 5, 6, 7: 17 × 17 × 768
  for (const [i, width] of [128, 160, 160, 192].entries()) {
    const branch1x1 = cbn(x, 192, 1, 1);
    const branch7x7 = cbn(cbn(cbn(x, width, 1, 1), width, 1, 7), 192, 7, 1);
    let branch7x7dbl = cbn(x, width, 1, 1);
    branch7x7dbl = cbn(branch7x7dbl, width, 7, 1);
    branch7x7dbl = cbn(branch7x7dbl, width, 1, 7);
    branch7x7dbl = cbn(branch7x7dbl, width, 7, 1);
    branch7x7dbl = cbn(branch7x7dbl, 192, 1, 7);
    const branchPool = cbn(avg3(x), 192, 1, 1);
    x = concatenate(b, [branch1x1, branch7x7, branch7x7dbl, branchPool], 3, `mixed${4 + i}`);
  }

  // mixed 8: 8 × 8 × 1280
  {
    const branch3x3 = cbn(cbn(x, 192, 1, 1), 320, 3, 3, 'valid', [2, 2]);
    let branch7x7x3 = cbn(x, 192, 1, 1);
    branch7x7x3 = cbn(branch7x7x3, 192, 1, 7);
    branch7x7x3 = cbn(branch7x7x3, 192, 7, 1);
    branch7x7x3 = cbn(branch7x7x3, 192, 3, 3, 'valid', [2, 2]);
    const branchPool = max3(x);
    x = concatenate(b, [branch3x3, branch7x7x3, branchPool], 3, 'mixed8');
  }

  // mixed 9, 10: 8 × 8 × 2048
  for (let i = 0; i < 2; i++) {
    const branch1x1 = cbn(x, 320, 1, 1);
    const branch3x3Stem = cbn(x, 384, 1, 1);
    const branch3x3 = concatenate(
      b,
      [cbn(branch3x3Stem, 384, 1, 3), cbn(branch3x3Stem, 384, 3, 1)],
      3,
      `mixed9_${i}`,
    );
    const branch3x3dblStem = cbn(cbn(x, 448, 1, 1), 384, 3, 3);
    const branch3x3dbl = concatenate(
      b,
      [cbn(branch3x3dblStem, 384, 1, 3), cbn(branch3x3dblStem, 384, 3, 1)],
      3,
    );
    const branchPool = cbn(avg3(x), 192, 1, 1);
    x = concatenate(b, [branch1x1, branch3x3, branch3x3dbl, branchPool], 3, `mixed${9 + i}`);
  }

  if (o.includeTop) {
    x = globalAveragePool(b, x, 'avg_pool');
    x = dense(b, x, o.classes, 'softmax', 'predictions');
  } else {
    x = poolFeatures(b, x, o.pooling);
  }
  return b.toJson('inception_v3', img, x);
}

import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import {
  activation,
  add,
  averagePool,
  batchNorm,
  concatenate,
  conv2d,
  correctPad,
  cropping,
  dense,
  globalAveragePool,
  input,
  maxPool,
  separableConv2d,
  zeroPadding,
} from './layers.js';
import type { ArchitectureOptions } from './options.js';
import { poolFeatures } from './vgg.js';

interface NASNetConfig {
  modelName: string;
  penultimateFilters: number;
  numBlocks: number;
  stemBlockFilters: number;
  skipReduction: boolean;
}

const FILTER_MULTIPLIER = 2;

/**
 * keras-applications `nasnet.NASNet`. Layers are created in exactly the Python code's order, since the
 * unnamed ones (Activation, ZeroPadding2D, Cropping2D, Concatenate, Add) take Keras' automatic names.
 */
function nasnet(c: NASNetConfig, o: ArchitectureOptions): BuiltModel {
  const b = new FunctionalBuilder('keras-2.2');
  const bn = (x: TensorRef, name: string): TensorRef =>
    batchNorm(b, x, { epsilon: 1e-3, axis: -1, momentum: 0.9997 }, name);
  const relu = (x: TensorRef, name?: string): TensorRef => activation(b, x, 'relu', name);
  const conv1x1 = (x: TensorRef, filters: number, name: string): TensorRef =>
    conv2d(b, x, { filters, kernel: [1, 1], padding: 'same', useBias: false, init: 'he_normal' }, name);
  const channels = (x: TensorRef): number => x.shape[2] ?? 0;

  const separableBlock = (
    ip: TensorRef,
    filters: number,
    kernel: number,
    stride: 1 | 2,
    id: string,
  ): TensorRef => {
    let x = relu(ip);
    let padding: 'same' | 'valid' = 'same';
    if (stride === 2) {
      x = zeroPadding(b, x, correctPad(x, kernel), `separable_conv_1_pad_${id}`);
      padding = 'valid';
    }
    const sep = (y: TensorRef, s: 1 | 2, p: 'same' | 'valid', name: string): TensorRef =>
      separableConv2d(
        b,
        y,
        { filters, kernel: [kernel, kernel], strides: [s, s], padding: p, useBias: false, init: 'he_normal' },
        name,
      );
    x = bn(sep(x, stride, padding, `separable_conv_1_${id}`), `separable_conv_1_bn_${id}`);
    x = relu(x);
    return bn(sep(x, 1, 'same', `separable_conv_2_${id}`), `separable_conv_2_bn_${id}`);
  };

  const adjustBlock = (p: TensorRef | null, ip: TensorRef, filters: number, id: string): TensorRef => {
    if (p === null) return ip;
    if (p.shape[1] !== ip.shape[1]) {
      const r = relu(p, `adjust_relu_1_${id}`);
      let p1 = averagePool(b, r, { pool: [1, 1], strides: [2, 2] }, `adjust_avg_pool_1_${id}`);
      p1 = conv1x1(p1, Math.floor(filters / 2), `adjust_conv_1_${id}`);
      let p2 = zeroPadding(b, r, [
        [0, 1],
        [0, 1],
      ]);
      p2 = cropping(b, p2, [
        [1, 0],
        [1, 0],
      ]);
      p2 = averagePool(b, p2, { pool: [1, 1], strides: [2, 2] }, `adjust_avg_pool_2_${id}`);
      p2 = conv1x1(p2, Math.floor(filters / 2), `adjust_conv_2_${id}`);
      return bn(concatenate(b, [p1, p2], -1), `adjust_bn_${id}`);
    }
    if (channels(p) !== filters) {
      const r = relu(p);
      return bn(conv1x1(r, filters, `adjust_conv_projection_${id}`), `adjust_bn_${id}`);
    }
    return p;
  };

  const normalCell = (
    ip: TensorRef,
    p0: TensorRef | null,
    filters: number,
    id: string,
  ): [TensorRef, TensorRef] => {
    const p = adjustBlock(p0, ip, filters, id);
    const h = bn(conv1x1(relu(ip), filters, `normal_conv_1_${id}`), `normal_bn_1_${id}`);
    const x1a = separableBlock(h, filters, 5, 1, `normal_left1_${id}`);
    const x1b = separableBlock(p, filters, 3, 1, `normal_right1_${id}`);
    const x1 = add(b, [x1a, x1b], `normal_add_1_${id}`);
    const x2a = separableBlock(p, filters, 5, 1, `normal_left2_${id}`);
    const x2b = separableBlock(p, filters, 3, 1, `normal_right2_${id}`);
    const x2 = add(b, [x2a, x2b], `normal_add_2_${id}`);
    const same3 = {
      pool: [3, 3] as [number, number],
      strides: [1, 1] as [number, number],
      padding: 'same' as const,
    };
    const x3 = add(b, [averagePool(b, h, same3, `normal_left3_${id}`), p], `normal_add_3_${id}`);
    const x4a = averagePool(b, p, same3, `normal_left4_${id}`);
    const x4b = averagePool(b, p, same3, `normal_right4_${id}`);
    const x4 = add(b, [x4a, x4b], `normal_add_4_${id}`);
    const x5 = add(b, [separableBlock(h, filters, 3, 1, `normal_left5_${id}`), h], `normal_add_5_${id}`);
    return [concatenate(b, [p, x1, x2, x3, x4, x5], -1, `normal_concat_${id}`), ip];
  };

  const reductionCell = (
    ip: TensorRef,
    p0: TensorRef | null,
    filters: number,
    id: string,
  ): [TensorRef, TensorRef] => {
    const p = adjustBlock(p0, ip, filters, id);
    const h = bn(conv1x1(relu(ip), filters, `reduction_conv_1_${id}`), `reduction_bn_1_${id}`);
    const h3 = zeroPadding(b, h, correctPad(h, 3), `reduction_pad_1_${id}`);
    const valid3 = {
      pool: [3, 3] as [number, number],
      strides: [2, 2] as [number, number],
      padding: 'valid' as const,
    };
    const x1a = separableBlock(h, filters, 5, 2, `reduction_left1_${id}`);
    const x1b = separableBlock(p, filters, 7, 2, `reduction_right1_${id}`);
    const x1 = add(b, [x1a, x1b], `reduction_add_1_${id}`);
    const x2a = maxPool(b, h3, valid3, `reduction_left2_${id}`);
    const x2b = separableBlock(p, filters, 7, 2, `reduction_right2_${id}`);
    const x2 = add(b, [x2a, x2b], `reduction_add_2_${id}`);
    const x3a = averagePool(b, h3, valid3, `reduction_left3_${id}`);
    const x3b = separableBlock(p, filters, 5, 2, `reduction_right3_${id}`);
    const x3 = add(b, [x3a, x3b], `reduction_add3_${id}`);
    const x4a = averagePool(
      b,
      x1,
      { pool: [3, 3], strides: [1, 1], padding: 'same' },
      `reduction_left4_${id}`,
    );
    const x4 = add(b, [x2, x4a]);
    const x5a = separableBlock(x1, filters, 3, 1, `reduction_left4_${id}`);
    const x5b = maxPool(b, h3, valid3, `reduction_right5_${id}`);
    const x5 = add(b, [x5a, x5b], `reduction_add4_${id}`);
    return [concatenate(b, [x2, x3, x4, x5], -1, `reduction_concat_${id}`), ip];
  };

  const filters = Math.floor(c.penultimateFilters / 24);
  const m = FILTER_MULTIPLIER;
  const img = input(b, o.inputShape);
  let x = conv2d(
    b,
    img,
    { filters: c.stemBlockFilters, kernel: [3, 3], strides: [2, 2], useBias: false, init: 'he_normal' },
    'stem_conv1',
  );
  x = bn(x, 'stem_bn1');
  let p: TensorRef | null = null;
  [x, p] = reductionCell(x, p, Math.floor(filters / m ** 2), 'stem_1');
  [x, p] = reductionCell(x, p, Math.floor(filters / m), 'stem_2');
  for (let i = 0; i < c.numBlocks; i++) [x, p] = normalCell(x, p, filters, `${i}`);
  let p0: TensorRef;
  [x, p0] = reductionCell(x, p, filters * m, `reduce_${c.numBlocks}`);
  if (!c.skipReduction) p = p0;
  for (let i = 0; i < c.numBlocks; i++) [x, p] = normalCell(x, p, filters * m, `${c.numBlocks + i + 1}`);
  [x, p0] = reductionCell(x, p, filters * m ** 2, `reduce_${2 * c.numBlocks}`);
  if (!c.skipReduction) p = p0;
  for (let i = 0; i < c.numBlocks; i++)
    [x, p] = normalCell(x, p, filters * m ** 2, `${2 * c.numBlocks + i + 1}`);
  x = relu(x);

  if (o.includeTop) {
    x = globalAveragePool(b, x);
    x = dense(b, x, o.classes, 'softmax', 'predictions');
  } else {
    x = poolFeatures(b, x, o.pooling);
  }
  return b.toJson(c.modelName, img, x);
}

/** keras.applications.NASNetMobile (5,326,716 parameters with the top; 224 × 224). */
export const nasnetMobile = (o: ArchitectureOptions): BuiltModel =>
  nasnet(
    {
      modelName: 'NASNet',
      penultimateFilters: 1056,
      numBlocks: 4,
      stemBlockFilters: 32,
      skipReduction: false,
    },
    o,
  );

/** keras.applications.NASNetLarge (88,949,818 parameters with the top; 331 × 331). */
export const nasnetLarge = (o: ArchitectureOptions): BuiltModel =>
  nasnet(
    {
      modelName: 'NASNet',
      penultimateFilters: 4032,
      numBlocks: 6,
      stemBlockFilters: 96,
      skipReduction: true,
    },
    o,
  );

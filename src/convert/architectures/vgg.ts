import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import { conv2d, dense, flatten, globalAveragePool, globalMaxPool, input, maxPool } from './layers.js';
import type { ArchitectureOptions } from './options.js';

/** Feature-extractor output when include_top is false: pooling avg/max or the 4-D map (shared by all five). */
export function poolFeatures(
  b: FunctionalBuilder,
  x: TensorRef,
  pooling: ArchitectureOptions['pooling'],
  names?: { avg: string; max: string },
): TensorRef {
  if (pooling === 'avg') return globalAveragePool(b, x, names?.avg);
  if (pooling === 'max') return globalMaxPool(b, x, names?.max);
  return x;
}

function vgg(name: 'vgg16' | 'vgg19', convsPerBlock: readonly number[], o: ArchitectureOptions): BuiltModel {
  const b = new FunctionalBuilder('keras-2.2');
  const img = input(b, o.inputShape);
  const filters = [64, 128, 256, 512, 512];
  let x = img;
  convsPerBlock.forEach((count, block) => {
    for (let i = 1; i <= count; i++) {
      x = conv2d(
        b,
        x,
        { filters: filters[block] ?? 0, kernel: [3, 3], padding: 'same', activation: 'relu' },
        `block${block + 1}_conv${i}`,
      );
    }
    x = maxPool(b, x, { pool: [2, 2], strides: [2, 2] }, `block${block + 1}_pool`);
  });
  if (o.includeTop) {
    x = flatten(b, x, 'flatten');
    x = dense(b, x, 4096, 'relu', 'fc1');
    x = dense(b, x, 4096, 'relu', 'fc2');
    x = dense(b, x, o.classes, 'softmax', 'predictions');
  } else {
    x = poolFeatures(b, x, o.pooling);
  }
  return b.toJson(name, img, x);
}

/** keras.applications.VGG16 (138,357,544 parameters with the top). */
export function vgg16(o: ArchitectureOptions): BuiltModel {
  return vgg('vgg16', [2, 2, 3, 3, 3], o);
}

/** keras.applications.VGG19 (143,667,240 parameters with the top). */
export function vgg19(o: ArchitectureOptions): BuiltModel {
  return vgg('vgg19', [2, 2, 4, 4, 4], o);
}

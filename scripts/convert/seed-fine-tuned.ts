/**
 * The fine-tuning layout people save most today, with seeded weights:
 *
 *   base = keras.applications.EfficientNetB0(include_top=False, pooling='avg', weights='imagenet')
 *   base.trainable = False
 *   model = keras.Sequential([base, layers.Dropout(0.2), layers.Dense(3, activation='softmax')])
 *   model.save('finetuned.h5')      # tf.keras 2.x: Keras 2 HDF5 layout
 *   model.save('finetuned.keras')   # Keras 3: zip of config.json, metadata.json, model.weights.h5
 *
 * for EfficientNetB0 and MobileNetV3Small. The backbone is the nested model itself, and its pooling is
 * inside it. Layouts:
 *  - `.h5` (tf.keras 2.x `save_model_to_hdf5`): root attr model_config {class_name: 'Sequential', layers:
 *    [InputLayer '<base>_input', Functional '<base>', Dropout, Dense]}; group model_weights with layer_names
 *    [<base>, dropout, dense]; the backbone is one group whose weight_names are its variables
 *    ('stem_conv/kernel:0', 'Conv/BatchNorm/gamma:0'), in layer order (a frozen model lists them so).
 *  - `.keras` (Keras 3 saving_lib): config.json in Keras 3's form (scripts/convert/keras3-json.ts) with
 *    Keras 3's layer names (MobileNetV3: 'conv_bn', operation nodes for `x + 3.0`); model.weights.h5 has
 *    `layers/functional/layers/<snake_case class>[_n]/vars/0…` for every layer of each container in order.
 *
 *   npx tsx scripts/convert/seed-fine-tuned.ts efficientnet_b0 keras [--seed N]
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import {
  buildArchitecture,
  buildKeras3Architecture,
  type BuiltArchitecture,
} from '../../src/convert/architectures/build.js';
import type { KerasLayerJson } from '../../src/convert/architectures/keras-json.js';
import { inferModel } from '../../src/convert/architectures/weight-specs.js';
import { keras3Functional } from './keras3-json.js';
import { FINE_TUNED_CLASSES, HEAD_DENSE_CONFIG, HEAD_DROPOUT_CONFIG } from './seed-full-model.js';
import { SEED_CACHE_DIR, seedPlan, type WeightInit } from './seed-weights.js';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));

export const FINE_TUNED_BACKBONES = ['efficientnet_b0', 'mobilenet_v3_small'] as const;
export type FineTunedBackbone = (typeof FINE_TUNED_BACKBONES)[number];
export type FineTunedFormat = 'h5' | 'keras';
export { FINE_TUNED_CLASSES };

export interface FineTunedSequential {
  path: string;
  /** The backbone as built (its name, layers and weights). */
  base: BuiltArchitecture;
  parameters: number;
}

const SIZE = 224;
const POLICY = {
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null,
};

function headWeights(features: number): { kernel: WeightInit; bias: WeightInit } {
  const shape = [features, FINE_TUNED_CLASSES.length];
  return {
    kernel: { name: 'dense/kernel:0', shape, dist: 'normal', a: 0, b: 3 / Math.sqrt(features) },
    bias: { name: 'dense/bias:0', shape: [FINE_TUNED_CLASSES.length], dist: 'normal', a: 0, b: 0.2 },
  };
}

function frozen(layers: KerasLayerJson[]): KerasLayerJson[] {
  return layers.map((l) =>
    'trainable' in l.config ? { ...l, config: { ...l.config, trainable: false } } : l,
  );
}

/** tf.keras 2.x model.save('x.h5') of the Sequential (plan for seed-weights.py's full-model mode). */
function h5Plan(base: BuiltArchitecture, seed: number): object {
  const name = base.model.config.name;
  const features = base.outputShape[0] ?? 0;
  const modelConfig = {
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        {
          class_name: 'InputLayer',
          config: {
            batch_input_shape: [null, SIZE, SIZE, 3],
            dtype: 'float32',
            sparse: false,
            ragged: false,
            name: `${name}_input`,
          },
        },
        {
          class_name: 'Functional',
          config: { ...base.model.config, layers: frozen(base.model.config.layers) },
        },
        { class_name: 'Dropout', config: HEAD_DROPOUT_CONFIG },
        { class_name: 'Dense', config: HEAD_DENSE_CONFIG },
      ],
    },
    keras_version: '2.15.0',
    backend: 'tensorflow',
  };
  const head = headWeights(features);
  return {
    seed,
    keras_version: '2.15.0',
    backend: 'tensorflow',
    layer_names: [name, 'dropout', 'dense'],
    layers: [
      { layer: name, weights: seedPlan(base, seed).layers.flatMap((l) => l.weights) },
      { layer: 'dense', weights: [head.kernel, head.bias] },
    ],
    model_config: modelConfig,
  };
}

/** Keras 3's naming.to_snake_case. */
function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** saving_lib's paths for a container's layers: snake_case(class), then _1, _2 … for repeats. */
function objectPaths(base: string, classes: readonly string[]): string[] {
  const used = new Map<string, number>();
  return classes.map((c) => {
    const snake = snakeCase(c);
    const n = used.get(snake);
    used.set(snake, n === undefined ? 0 : n + 1);
    return `${base}/${n === undefined ? snake : `${snake}_${n + 1}`}`;
  });
}

/** Keras 3 model.save('x.keras') of the Sequential (plan for seed-weights.py's keras3 mode). */
function kerasPlan(base: BuiltArchitecture, seed: number): object {
  const features = base.outputShape[0] ?? 0;
  const { shapes } = inferModel(base.model);
  const config = {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      trainable: true,
      dtype: POLICY,
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: {
            batch_shape: [null, SIZE, SIZE, 3],
            dtype: 'float32',
            sparse: false,
            ragged: false,
            name: 'input_layer_1',
          },
          registered_name: null,
        },
        keras3Functional(base.model, shapes, false),
        {
          module: 'keras.layers',
          class_name: 'Dropout',
          config: { ...HEAD_DROPOUT_CONFIG, dtype: POLICY },
          registered_name: null,
          build_config: { input_shape: [null, features] },
        },
        {
          module: 'keras.layers',
          class_name: 'Dense',
          config: {
            ...HEAD_DENSE_CONFIG,
            dtype: POLICY,
            kernel_initializer: {
              module: 'keras.initializers',
              ...HEAD_DENSE_CONFIG.kernel_initializer,
              registered_name: null,
            },
            bias_initializer: {
              module: 'keras.initializers',
              ...HEAD_DENSE_CONFIG.bias_initializer,
              registered_name: null,
            },
          },
          registered_name: null,
          build_config: { input_shape: [null, features] },
        },
      ],
      build_input_shape: [null, SIZE, SIZE, 3],
    },
    registered_name: null,
    build_config: { input_shape: [null, SIZE, SIZE, 3] },
    compile_config: null,
  };
  // Functional.layers holds the Layers only (not Keras 3's operation nodes such as `add`).
  const layers = base.model.config.layers.filter((l) => l.class_name !== 'TFOpLambda');
  const [backbonePath, dropoutPath, densePath] = objectPaths('layers', ['Functional', 'Dropout', 'Dense']);
  const paths = objectPaths(
    `${backbonePath}/layers`,
    layers.map((l) => l.class_name),
  );
  const byLayer = new Map(seedPlan(base, seed).layers.map((l) => [l.layer, l.weights]));
  const head = headWeights(features);
  return {
    seed,
    keras3: {
      config,
      metadata: { keras_version: '3.11.3', date_saved: '2026-11-30@00:00:00' },
      objects: [
        ...layers.map((l, i) => ({ path: paths[i], weights: byLayer.get(l.name) ?? [] })),
        { path: dropoutPath, weights: [] },
        { path: densePath, weights: [head.kernel, head.bias] },
      ],
    },
  };
}

/** Writes (or reuses) the fine-tuned Sequential file under test/.cache; returns its path. */
export async function seedFineTunedSequential(
  backbone: FineTunedBackbone,
  format: FineTunedFormat,
  seed = 1,
): Promise<FineTunedSequential> {
  const options = {
    includeTop: false,
    pooling: 'avg' as const,
    inputShape: [SIZE, SIZE, 3] as [number, number, number],
  };
  const base =
    format === 'h5' ? buildArchitecture(backbone, options) : buildKeras3Architecture(backbone, options);
  const plan = format === 'h5' ? h5Plan(base, seed) : kerasPlan(base, seed);
  const hash = createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 12);
  const path = join(SEED_CACHE_DIR, `finetuned-${backbone}-seed${seed}-${hash}.${format}`);
  if (!existsSync(path)) {
    mkdirSync(SEED_CACHE_DIR, { recursive: true });
    const planPath = `${path}.plan.json`;
    writeFileSync(planPath, JSON.stringify(plan));
    await run('/usr/bin/python3', [join(HERE, 'seed-weights.py'), planPath, path], { maxBuffer: 1 << 20 });
  }
  const features = base.outputShape[0] ?? 0;
  return {
    path,
    base,
    parameters: base.parameters + features * FINE_TUNED_CLASSES.length + FINE_TUNED_CLASSES.length,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [backbone = 'efficientnet_b0', format = 'h5'] = process.argv.slice(2);
  const i = process.argv.indexOf('--seed');
  const result = await seedFineTunedSequential(
    backbone as FineTunedBackbone,
    format as FineTunedFormat,
    i > 0 ? Number(process.argv[i + 1]) : 1,
  );
  console.log(`${result.path} (${result.parameters} parameters)`);
}

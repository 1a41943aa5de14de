/**
 * A tf.keras-style full-model `.h5` as a fine-tuning script saves it: an ImageNet backbone used as a
 * NESTED model (tf.keras ResNet50, include_top=False) inside a new Functional model with a new head:
 *
 *   base = tf.keras.applications.ResNet50(include_top=False, input_shape=(224, 224, 3))
 *   for layer in base.layers[:FROZEN]: layer.trainable = False          # stages 1–4 frozen
 *   inputs = keras.Input((224, 224, 3)); x = base(inputs, training=False)
 *   x = layers.GlobalAveragePooling2D()(x); x = layers.Dropout(0.2)(x)
 *   outputs = layers.Dense(3, activation='softmax')(x)
 *   keras.Model(inputs, outputs).save('finetuned.h5')
 *
 * Layout (tf.keras 2.x `save_model_to_hdf5`): root attrs model_config/keras_version/backend; group
 * model_weights with layer_names [input_2, resnet50, global_average_pooling2d, dropout, dense]; the
 * nested model is one group whose weight_names are its variables ('conv1_conv/kernel:0'), trainable ones
 * first and then the non-trainable ones (frozen layers' weights and all BN moving statistics), as
 * `model.weights` orders them. Values come from the same seeded generator as seed-weights.ts.
 * The head refers to the nested model's output as node 1 (['resnet50', 1, 0, {}]): tf.keras 2.x skips a
 * nested Functional's own first node when numbering (`_should_skip_first_node`), and TF.js does the same.
 *
 *   npx tsx scripts/convert/seed-full-model.ts [--seed N]
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildArchitecture } from '../../src/convert/architectures/build.js';
import type { JsonObject, KerasLayerJson } from '../../src/convert/architectures/keras-json.js';
import { SEED_CACHE_DIR, seedPlan, type SeedPlan, type WeightInit } from './seed-weights.js';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));

export const FINE_TUNED_CLASSES = ['cat', 'dog', 'car'] as const;

/** The tutorial's classifier head on the frozen base: Dropout(0.2) → Dense(classes, softmax) (tf.keras 2.x). */
export const HEAD_DROPOUT_CONFIG = {
  name: 'dropout',
  trainable: true,
  dtype: 'float32',
  rate: 0.2,
  noise_shape: null,
  seed: null,
};
export const HEAD_DENSE_CONFIG = {
  name: 'dense',
  trainable: true,
  dtype: 'float32',
  units: FINE_TUNED_CLASSES.length,
  activation: 'softmax',
  use_bias: true,
  kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
  bias_initializer: { class_name: 'Zeros', config: {} },
  kernel_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  bias_constraint: null,
};
/** The first layer that stays trainable: stage 5 is fine-tuned, everything before it frozen. */
const FIRST_TRAINABLE = 'conv5_block1_1_conv';
const NON_TRAINABLE_ROLES = new Set(['moving_mean', 'moving_variance']);

export interface FineTunedModel {
  path: string;
  /** The outer model JSON as stored in model_config. */
  modelConfig: JsonObject;
  backboneLayers: number;
}

function fineTunedPlan(seed: number): {
  plan: SeedPlan & { model_config: JsonObject };
  backboneLayers: number;
} {
  const base = buildArchitecture('resnet50', {
    resnet50Naming: 'tf-keras',
    includeTop: false,
    pooling: 'none',
  });
  const basePlan = seedPlan(base, seed);
  const firstTrainable = base.model.config.layers.findIndex((l) => l.name === FIRST_TRAINABLE);
  const trainable = new Set(base.model.config.layers.slice(firstTrainable).map((l) => l.name));

  // The nested model as a layer: its config is the backbone's Functional config; frozen layers say so.
  const nestedConfig = {
    ...base.model.config,
    layers: base.model.config.layers.map((l) => ({
      ...l,
      config: { ...l.config, trainable: trainable.has(l.name) },
    })),
  } as unknown as JsonObject;
  const layers: KerasLayerJson[] = [
    {
      class_name: 'InputLayer',
      name: 'input_2',
      config: {
        batch_input_shape: [null, 224, 224, 3],
        dtype: 'float32',
        sparse: false,
        ragged: false,
        name: 'input_2',
      },
      inbound_nodes: [],
    },
    {
      class_name: 'Functional',
      name: 'resnet50',
      config: nestedConfig,
      inbound_nodes: [[['input_2', 0, 0, { training: false }]]],
    },
    {
      class_name: 'GlobalAveragePooling2D',
      name: 'global_average_pooling2d',
      config: {
        name: 'global_average_pooling2d',
        trainable: true,
        dtype: 'float32',
        data_format: 'channels_last',
      },
      inbound_nodes: [[['resnet50', 1, 0, {}]]],
    },
    {
      class_name: 'Dropout',
      name: 'dropout',
      config: HEAD_DROPOUT_CONFIG,
      inbound_nodes: [[['global_average_pooling2d', 0, 0, {}]]],
    },
    {
      class_name: 'Dense',
      name: 'dense',
      config: HEAD_DENSE_CONFIG,
      inbound_nodes: [[['dropout', 0, 0, {}]]],
    },
  ];
  const modelConfig = {
    class_name: 'Functional',
    config: {
      name: 'finetuned_resnet50',
      layers,
      input_layers: [['input_2', 0, 0]],
      output_layers: [['dense', 0, 0]],
    },
  } as unknown as JsonObject;

  // model.weights of the nested model: trainable variables of trainable layers, then the rest.
  const all = basePlan.layers.flatMap((l) => l.weights.map((w) => ({ layer: l.layer, w })));
  const isTrainable = (e: { layer: string; w: WeightInit }): boolean =>
    trainable.has(e.layer) && !NON_TRAINABLE_ROLES.has(e.w.name.split('/')[1]?.replace(/:0$/, '') ?? '');
  const nestedWeights = [...all.filter(isTrainable), ...all.filter((e) => !isTrainable(e))].map((e) => e.w);
  const head: WeightInit[] = [
    {
      name: 'dense/kernel:0',
      shape: [2048, FINE_TUNED_CLASSES.length],
      dist: 'normal',
      a: 0,
      b: 3 / Math.sqrt(2048),
    },
    { name: 'dense/bias:0', shape: [FINE_TUNED_CLASSES.length], dist: 'normal', a: 0, b: 0.2 },
  ];
  return {
    plan: {
      seed,
      keras_version: '2.4.0',
      backend: 'tensorflow',
      layer_names: layers.map((l) => l.name),
      layers: [
        { layer: 'resnet50', weights: nestedWeights },
        { layer: 'dense', weights: head },
      ],
      model_config: modelConfig,
    },
    backboneLayers: base.model.config.layers.length,
  };
}

/** Writes (or reuses) the fine-tuned full-model file under test/.cache; returns its path and config. */
export async function seedFineTunedModel(seed = 1): Promise<FineTunedModel> {
  const { plan, backboneLayers } = fineTunedPlan(seed);
  const hash = createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 12);
  const path = join(SEED_CACHE_DIR, `finetuned-resnet50-seed${seed}-${hash}.h5`);
  if (!existsSync(path)) {
    mkdirSync(SEED_CACHE_DIR, { recursive: true });
    const planPath = `${path}.plan.json`;
    writeFileSync(planPath, JSON.stringify(plan));
    await run('/usr/bin/python3', [join(HERE, 'seed-weights.py'), planPath, path], { maxBuffer: 1 << 20 });
  }
  return { path, modelConfig: plan.model_config, backboneLayers };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--seed');
  const { path } = await seedFineTunedModel(i > 0 ? Number(process.argv[i + 1]) : 1);
  console.log(path);
}

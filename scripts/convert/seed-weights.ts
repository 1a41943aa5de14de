/**
 * Seeded stand-ins for Keras' official ImageNet weight files: `seedWeightsFile('resnet50', …)` writes a
 * weights-only HDF5 in Keras' layout (via seed-weights.py and Debian's h5py) with values drawn so the
 * network behaves like a trained one numerically: He-scaled kernels, BatchNormalization statistics of
 * plausible size (moving_variance 0.5–2, small means), small residual-branch gains and a classifier
 * whose logits spread over a few units, so softmax outputs are neither flat nor saturated.
 * Files are cached under test/.cache by architecture, options, seed and plan hash.
 *
 *   npx tsx scripts/convert/seed-weights.ts resnet50 [--notop] [--naming keras-applications] [--seed N] [--legacy]
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildArchitecture, type BuiltArchitecture } from '../../src/convert/architectures/build.js';
import {
  ARCHITECTURE_FACTS,
  ARCHITECTURE_NAMES,
  type ArchitectureName,
  type ArchitectureOptions,
  type KerasPreprocessMode,
} from '../../src/convert/architectures/options.js';
import type { WeightSpec } from '../../src/convert/architectures/weight-specs.js';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
export const SEED_CACHE_DIR = resolve(HERE, '../../test/.cache/seeded-weights');
const PYTHON = '/usr/bin/python3';

/** Typical standard deviation of a preprocessed photo pixel per Keras preprocess_input mode. */
const INPUT_STD: Record<KerasPreprocessMode, number> = { caffe: 64, tf: 0.5, torch: 1.1, raw: 1 };

/** Calibrated on the shared photos at full size so each classifier's logits have a standard deviation of about 2–4. */
const CLASSIFIER_GAIN: Partial<Record<ArchitectureName, number>> = {
  vgg16: 0.5,
  vgg19: 0.5,
  resnet50: 0.4,
  inception_v3: 1,
  xception: 0.1,
  resnet101: 0.2,
  resnet152: 0.1,
  resnet50_v2: 0.5,
  resnet101_v2: 0.3,
  resnet152_v2: 0.25,
  inception_resnet_v2: 0.15,
  mobilenet: 1.5,
  mobilenet_v2: 0.6,
  nasnet_mobile: 2.5,
  nasnet_large: 2,
  mobilenet_v3_small: 0.6,
  mobilenet_v3_large: 2.7,
  efficientnet_b0: 3,
  efficientnet_b1: 1,
  efficientnet_b2: 4.5,
  efficientnet_b3: 1,
  efficientnet_b4: 0.45,
  efficientnet_b5: 0.33,
  efficientnet_b6: 0.33,
  efficientnet_b7: 0.3,
};

/**
 * Layers that close a residual branch (the branch is added to its input): BatchNormalization layers get a
 * small gamma, convolutions a small kernel gain, so many additions do not blow activations up.
 */
const RESIDUAL_END: Partial<Record<ArchitectureName, RegExp>> = {
  resnet50: /(_3_bn|branch2c)$/,
  resnet101: /_3_bn$/,
  resnet152: /_3_bn$/,
  xception: /_sepconv3_bn$/,
  resnet50_v2: /_3_conv$/,
  resnet101_v2: /_3_conv$/,
  resnet152_v2: /_3_conv$/,
  mobilenet_v2: /^block_(2|4|5|7|8|9|11|12|14|15)_project_BN$/,
  mobilenet_v3_small: /^expanded_conv_(2|4|5|7|9|10)\/project\/BatchNorm$/,
  mobilenet_v3_large: /^expanded_conv_(2|4|5|7|8|9|11|13|14)\/project\/BatchNorm$/,
  ...Object.fromEntries(
    ARCHITECTURE_NAMES.filter((a) => a.startsWith('efficientnet_')).map((a) => [
      a,
      /^block\d+[b-z]_project_bn$/,
    ]),
  ),
};

/** BatchNormalization layers closing one of two branches that are summed: γ² ≈ ½ keeps the sum's scale. */
const HALF_GAIN: Partial<Record<ArchitectureName, RegExp>> = {
  nasnet_mobile: /^(separable_conv_2_bn|normal_bn_1|reduction_bn_1|adjust_bn)_/,
  nasnet_large: /^(separable_conv_2_bn|normal_bn_1|reduction_bn_1|adjust_bn)_/,
};

export interface WeightInit {
  name: string;
  shape: number[];
  /** 'values': exactly `values` (row-major), e.g. a Normalization layer's adapted mean. */
  dist: 'normal' | 'uniform' | 'values';
  /** normal: mean; uniform: low. */
  a: number;
  /** normal: standard deviation; uniform: high. */
  b: number;
  values?: number[];
  /** Stored dtype (default float32); tf.keras' Normalization keeps its count as int64. */
  dtype?: 'float32' | 'int64';
}

/**
 * What the official EfficientNet files hold in their Normalization layer: ImageNet's RGB mean and, as
 * variance, the standard deviations (Keras compensates with a Rescaling by 1/√std, see efficientnet.ts).
 */
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

function perChannel(values: number[], shape: number[]): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => values[i % values.length] as number);
}

export interface SeedPlan {
  seed: number;
  keras_version: string;
  backend: 'tensorflow';
  layer_names: string[];
  layers: { layer: string; weights: WeightInit[] }[];
}

/** Squeeze-and-excite gates: a bias around +2 keeps them mostly open (sigmoid ≈ 0.88), as trained gates are. */
const SE_GATE = /(_se_expand|squeeze_excite\/Conv_1)$/;

function fanIn(w: WeightSpec): number {
  // Kernels are [kh, kw, in, out] (conv), [kh, kw, in, multiplier] (depthwise) or [in, out] (dense).
  if (w.role === 'depthwise_kernel') return (w.shape[0] ?? 1) * (w.shape[1] ?? 1);
  return w.shape.slice(0, -1).reduce((a, b) => a * b, 1);
}

function initFor(
  w: WeightSpec,
  layer: string,
  first: boolean,
  classifier: boolean,
  arch: ArchitectureName,
): WeightInit {
  const base = { name: w.name, shape: w.shape };
  const residualEnd = RESIDUAL_END[arch]?.test(layer) === true;
  // Second moments are kept about constant layer to layer: He gain (2/fan_in) where the input went through
  // a ReLU, the depthwise half of a separable convolution carrying that gain for its pointwise half, and
  // BatchNormalization scaling by about 1 on average (E[γ²/σ²] ≈ 1).
  switch (w.role) {
    case 'kernel': {
      if (classifier)
        return { ...base, dist: 'normal', a: 0, b: (3 * (CLASSIFIER_GAIN[arch] ?? 1)) / Math.sqrt(fanIn(w)) };
      const gain = (first ? 1 / INPUT_STD[ARCHITECTURE_FACTS[arch].preprocess] : 1) * (residualEnd ? 0.2 : 1);
      return { ...base, dist: 'normal', a: 0, b: gain * Math.sqrt(2 / fanIn(w)) };
    }
    case 'pointwise_kernel':
      return { ...base, dist: 'normal', a: 0, b: Math.sqrt(1 / fanIn(w)) };
    case 'depthwise_kernel':
      return { ...base, dist: 'normal', a: 0, b: Math.sqrt(2 / fanIn(w)) };
    case 'bias':
      if (SE_GATE.test(layer)) return { ...base, dist: 'normal', a: 2, b: 0.5 };
      return { ...base, dist: 'normal', a: 0, b: classifier ? 0.2 : 0.02 };
    case 'gamma':
      if (residualEnd) return { ...base, dist: 'uniform', a: 0.1, b: 0.3 };
      if (HALF_GAIN[arch]?.test(layer) === true) return { ...base, dist: 'uniform', a: 0.5, b: 0.9 };
      return { ...base, dist: 'uniform', a: 0.8, b: 1.2 };
    case 'beta':
      return { ...base, dist: 'normal', a: 0, b: 0.05 };
    case 'moving_mean':
      return { ...base, dist: 'normal', a: 0, b: 0.1 };
    case 'moving_variance':
      return { ...base, dist: 'uniform', a: 0.8, b: 1.25 };
    case 'mean':
      return { ...base, dist: 'values', a: 0, b: 0, values: perChannel(IMAGENET_MEAN, w.shape) };
    case 'variance':
      return { ...base, dist: 'values', a: 0, b: 0, values: perChannel(IMAGENET_STD, w.shape) };
    case 'count':
      return { ...base, dist: 'values', a: 0, b: 0, values: [1_281_167], dtype: 'int64' };
  }
}

/**
 * How the file names things. 'keras2': this Keras generation's layer names and `layer/kernel:0` weight
 * names. 'legacy': what older official files look like — layer names from a session with other counters
 * (tf.keras: `conv2d`, `conv2d_1`, … instead of `conv2d_1`, `conv2d_2`, …) and Keras 1-style weight names
 * without a '/' (`conv2d_W:0`, `batch_normalization_running_std:0`), so only Keras' order pairs them.
 */
export type SeedNaming = 'keras2' | 'legacy';

const LEGACY_WEIGHT: Record<string, string> = {
  kernel: 'W',
  bias: 'b',
  gamma: 'gamma',
  beta: 'beta',
  moving_mean: 'running_mean',
  moving_variance: 'running_std',
  depthwise_kernel: 'depthwise_kernel',
  pointwise_kernel: 'pointwise_kernel',
};

const AUTO_NAMED =
  /^(conv2d|batch_normalization|activation|max_pooling2d|average_pooling2d|concatenate|add|input)_(\d+)$/;

function legacyLayerName(name: string): string {
  // Shift auto-name counters down by one, as a tf.keras session would have named them.
  return name.replace(AUTO_NAMED, (_, prefix: string, n: string) =>
    n === '1' ? prefix : `${prefix}_${Number(n) - 1}`,
  );
}

export function seedPlan(built: BuiltArchitecture, seed: number, naming: SeedNaming = 'keras2'): SeedPlan {
  const last = built.weights[built.weights.length - 1];
  const firstKernel = built.weights.find((l) => l.weights.some((w) => w.role === 'kernel'));
  const standIns = new Set(built.standIns);
  const layerName = naming === 'legacy' ? legacyLayerName : (name: string): string => name;
  const weightName = (layer: string, w: WeightSpec): string =>
    naming === 'legacy' ? `${layerName(layer)}_${LEGACY_WEIGHT[w.role] ?? w.role}:0` : w.name;
  return {
    seed,
    keras_version: naming === 'legacy' ? '2.1.6' : built.model.keras_version,
    backend: 'tensorflow',
    layer_names: built.model.config.layers.filter((l) => !standIns.has(l.name)).map((l) => layerName(l.name)),
    layers: built.weights.map((layer) => ({
      layer: layerName(layer.layer),
      weights: layer.weights.map((w) => ({
        ...initFor(
          w,
          layer.layer,
          layer === firstKernel,
          built.options.includeTop && layer === last,
          built.arch,
        ),
        name: weightName(layer.layer, w),
      })),
    })),
  };
}

/** Writes (or reuses) the seeded weights file for an architecture; returns its path. */
export async function seedWeightsFile(
  arch: ArchitectureName,
  options: Partial<ArchitectureOptions> = {},
  seed = 1,
  naming: SeedNaming = 'keras2',
): Promise<{ path: string; built: BuiltArchitecture }> {
  const built = buildArchitecture(arch, options);
  const plan = seedPlan(built, seed, naming);
  const hash = createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 12);
  const resnet = arch === 'resnet50' ? `-${built.options.resnet50Naming}` : '';
  const top = built.options.includeTop ? '' : '-notop';
  const legacy = naming === 'legacy' ? '-legacy' : '';
  const path = join(SEED_CACHE_DIR, `${arch}${resnet}${top}${legacy}-seed${seed}-${hash}.h5`);
  if (!existsSync(path)) {
    mkdirSync(SEED_CACHE_DIR, { recursive: true });
    const planPath = `${path}.plan.json`;
    writeFileSync(planPath, JSON.stringify(plan));
    await run(PYTHON, [join(HERE, 'seed-weights.py'), planPath, path], { maxBuffer: 1 << 20 });
  }
  return { path, built };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [arch = 'resnet50', ...rest] = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const naming = flag('--naming');
  const { path, built } = await seedWeightsFile(
    arch as ArchitectureName,
    {
      includeTop: !rest.includes('--notop'),
      ...(naming ? { resnet50Naming: naming as ArchitectureOptions['resnet50Naming'] } : {}),
    },
    Number(flag('--seed') ?? 1),
    rest.includes('--legacy') ? 'legacy' : 'keras2',
  );
  console.log(`${path} (${built.parameters} parameters)`);
}

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
import type { ArchitectureName, ArchitectureOptions } from '../../src/convert/architectures/options.js';
import type { WeightSpec } from '../../src/convert/architectures/weight-specs.js';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
export const SEED_CACHE_DIR = resolve(HERE, '../../test/.cache/seeded-weights');
const PYTHON = '/usr/bin/python3';

/** Typical standard deviation of a preprocessed photo pixel (caffe: BGR minus means; tf: x/127.5 − 1). */
const INPUT_STD: Record<ArchitectureName, number> = {
  vgg16: 64,
  vgg19: 64,
  resnet50: 64,
  inception_v3: 0.5,
  xception: 0.5,
};

/** Calibrated on the shared photos so each classifier's logits have a standard deviation of about 2–4. */
const CLASSIFIER_GAIN: Record<ArchitectureName, number> = {
  vgg16: 0.5,
  vgg19: 0.5,
  resnet50: 1,
  inception_v3: 2.5,
  xception: 0.4,
};

/** BatchNormalization layers whose output is added to a residual path: small gains keep the sum bounded. */
const RESIDUAL_END_BN = /(_3_bn|branch2c|_sepconv3_bn)$/;

export interface WeightInit {
  name: string;
  shape: number[];
  dist: 'normal' | 'uniform';
  /** normal: mean; uniform: low. */
  a: number;
  /** normal: standard deviation; uniform: high. */
  b: number;
}

export interface SeedPlan {
  seed: number;
  keras_version: string;
  backend: 'tensorflow';
  layer_names: string[];
  layers: { layer: string; weights: WeightInit[] }[];
}

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
  switch (w.role) {
    case 'kernel':
    case 'pointwise_kernel': {
      if (classifier)
        return { ...base, dist: 'normal', a: 0, b: (3 * CLASSIFIER_GAIN[arch]) / Math.sqrt(fanIn(w)) };
      const gain = first ? 1 / INPUT_STD[arch] : 1;
      return { ...base, dist: 'normal', a: 0, b: gain * Math.sqrt(2 / fanIn(w)) };
    }
    case 'depthwise_kernel':
      return { ...base, dist: 'normal', a: 0, b: Math.sqrt(1 / fanIn(w)) };
    case 'bias':
      return { ...base, dist: 'normal', a: 0, b: classifier ? 0.2 : 0.02 };
    case 'gamma':
      return RESIDUAL_END_BN.test(layer)
        ? { ...base, dist: 'uniform', a: 0.1, b: 0.3 }
        : { ...base, dist: 'uniform', a: 0.6, b: 1.2 };
    case 'beta':
      return { ...base, dist: 'normal', a: 0, b: 0.05 };
    case 'moving_mean':
      return { ...base, dist: 'normal', a: 0, b: 0.1 };
    case 'moving_variance':
      return { ...base, dist: 'uniform', a: 0.5, b: 2 };
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
  const layerName = naming === 'legacy' ? legacyLayerName : (name: string): string => name;
  const weightName = (layer: string, w: WeightSpec): string =>
    naming === 'legacy' ? `${layerName(layer)}_${LEGACY_WEIGHT[w.role] ?? w.role}:0` : w.name;
  return {
    seed,
    keras_version: naming === 'legacy' ? '2.1.6' : built.model.keras_version,
    backend: 'tensorflow',
    layer_names: built.model.config.layers.map((l) => layerName(l.name)),
    layers: built.weights.map((layer, index) => ({
      layer: layerName(layer.layer),
      weights: layer.weights.map((w) => ({
        ...initFor(w, layer.layer, index === 0, built.options.includeTop && layer === last, built.arch),
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

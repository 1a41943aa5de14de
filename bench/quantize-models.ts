/**
 * The models bench/quantize.ts measures, built when missing into bench/out/models (git-ignored):
 * float32 models (the built-in nsfw models from models/onnx, seeded-weight ResNet50 and Xception, the real
 * Keras image classifiers of ../shared/data/keras converted by `netlens convert`) and their int8 / fp16
 * variants written by `netlens quantize` (quantizeModel) with the shared photos held out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseManifest, type Manifest } from '../src/core/manifest.js';
import { convertModelFile } from '../src/convert/convert-file.js';
import {
  QUANTIZER_NAME,
  defaultVariantName,
  quantizeModel,
  type QuantizeKind,
} from '../src/quantize/quantize-model.js';
import type { TuningRuntime } from '../src/quantize/tune-for.js';
import { seedWeightsFile } from '../scripts/convert/seed-weights.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const BENCH_MODELS = join(ROOT, 'bench/out/models');
export const PHOTOS = resolve(ROOT, '../shared/data/images');
const KERAS = resolve(ROOT, '../shared/data/keras');

export interface BenchModel {
  name: string;
  /** How the float32 model came to be, for the tables. */
  origin: string;
  /** Trained weights (agreement is a gate) or seeded (informative). */
  trained: boolean;
}

export const BENCH_MODELS_LIST: readonly BenchModel[] = [
  { name: 'nsfw-mobilenet-v2', origin: 'nsfwjs MobileNetV2 (built-in)', trained: true },
  { name: 'nsfw-inception-v3', origin: 'nsfwjs InceptionV3 (built-in)', trained: true },
  { name: 'resnet8-cifar10', origin: 'resnet8_cifar10.h5 (tf.keras 2.4)', trained: true },
  { name: 'vww96-mobilenet', origin: 'vww96_mobilenet.h5 (tf.keras 2.4)', trained: true },
  { name: 'fer2013-mini-xception', origin: 'fer2013_mini_XCEPTION.hdf5 (Keras 2.0.9)', trained: true },
  { name: 'mnist-cnn', origin: 'mnist_cnn_keras3.keras (Keras 3.11)', trained: true },
  { name: 'seeded-resnet50', origin: 'ResNet50, seeded weights', trained: false },
  { name: 'seeded-xception', origin: 'Xception, seeded weights', trained: false },
];

const KERAS_FILES: Record<string, string> = {
  'resnet8-cifar10': 'resnet8_cifar10.h5',
  'vww96-mobilenet': 'vww96_mobilenet.h5',
  'fer2013-mini-xception': 'fer2013_mini_XCEPTION.hdf5',
  'mnist-cnn': 'mnist_cnn_keras3.keras',
};

export function readBenchManifest(name: string): Manifest {
  return parseManifest(JSON.parse(readFileSync(join(BENCH_MODELS, `${name}.json`), 'utf8')));
}

/** The float32 model `name` in bench/out/models, converted or copied there when missing. */
export async function ensureFloatModel(name: string): Promise<Manifest> {
  await mkdir(BENCH_MODELS, { recursive: true });
  if (existsSync(join(BENCH_MODELS, `${name}.json`))) return readBenchManifest(name);
  if (name.startsWith('nsfw-')) {
    const source = join(ROOT, 'models/onnx');
    if (!existsSync(join(source, `${name}.json`)))
      throw new Error(`${name} is missing: run 'npm run models' first`);
    await copyFile(join(source, `${name}.onnx`), join(BENCH_MODELS, `${name}.onnx`));
    const manifest = JSON.parse(readFileSync(join(source, `${name}.json`), 'utf8')) as Record<
      string,
      unknown
    >;
    delete manifest['features'];
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(BENCH_MODELS, `${name}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  } else if (name.startsWith('seeded-')) {
    const arch = name === 'seeded-resnet50' ? 'resnet50' : 'xception';
    const { path } = await seedWeightsFile(arch, { includeTop: true }, 1, 'keras2');
    await convertModelFile(path, { outDir: BENCH_MODELS, name, arch, labels: 'imagenet', features: false });
  } else {
    const file = KERAS_FILES[name];
    if (!file) throw new Error(`unknown bench model ${name}`);
    await convertModelFile(join(KERAS, file), { outDir: BENCH_MODELS, name, features: false });
  }
  return readBenchManifest(name);
}

/**
 * The `kind` variant of `name` (tuned for `tuneFor`, int8 only), rebuilt when missing or made from another
 * float32 file or quantizer.
 */
export async function ensureVariant(
  name: string,
  kind: QuantizeKind,
  tuneFor?: TuningRuntime,
): Promise<Manifest> {
  const source = await ensureFloatModel(name);
  const variant = defaultVariantName(name, { kind, ...(tuneFor ? { tuneFor } : {}) });
  if (existsSync(join(BENCH_MODELS, `${variant}.json`))) {
    const m = readBenchManifest(variant);
    if (m.quantization?.from.sha256 === source.sha256.model && m.quantization.quantizer === QUANTIZER_NAME)
      return m;
  }
  process.stderr.write(`building ${variant}…\n`);
  // Seeded weights predict near-ties everywhere: agreement there is informative, so no accuracy fallback
  // (its sensitivity pass over Xception's ~70 nodes ran > 27 min on the loaded 2-core machine).
  const trained = BENCH_MODELS_LIST.find((m) => m.name === name)?.trained ?? true;
  const result = await quantizeModel(name, {
    kind,
    modelsDir: BENCH_MODELS,
    holdout: PHOTOS,
    ...(tuneFor ? { tuneFor } : {}),
    ...(trained ? {} : { minAgreement: 0 }),
  });
  process.stderr.write(`${variant}: ${(result.millis / 1000).toFixed(0)} s\n`);
  return readBenchManifest(variant);
}

/**
 * The built-in models, built offline from the npm dependency nsfwjs (TF.js layers models written by
 * Keras 2.2.4): nsfw-mobilenet-v2 (the default) and nsfw-inception-v3, each with its penultimate-features
 * model, verified against TensorFlow.js. A model whose files are present with matching hashes (and the
 * same converter and source) is left alone. `npm run models` and `netlens start` both call this.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { messageOf } from '../core/errors.js';
import { convertModelFile } from './convert-file.js';
import { CONVERTER_NAME } from './keras/convert.js';
import { sha256File } from './read-model.js';
import type { BuildableModel } from '../runtime/node/model-dir.js';

export const NSFW_LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

/** How each built-in model (BUILDABLE_MODELS names them) is made from nsfwjs' files. */
interface BuiltInModel {
  architecture: string;
  dir: string;
  description: string;
  /**
   * The features model: the backbone's pooled output (flatten_1), not the input of the final Dense
   * (dense_2, 128 values fine-tuned for the five nsfw classes), so that embeddings and `netlens train`
   * get general image features: on Fashion-MNIST a head on dense_2 reached 64% and one on flatten_1 80%.
   */
  features: { layer: string; size: number };
}
const BUILT_IN_MODELS: Record<BuildableModel, BuiltInModel> = {
  'nsfw-mobilenet-v2': {
    architecture: 'mobilenet_v2',
    dir: 'mobilenet_v2',
    description: 'nsfwjs MobileNetV2 (224×224), 5 classes',
    features: { layer: 'flatten_1', size: 1280 },
  },
  'nsfw-inception-v3': {
    architecture: 'inception_v3',
    dir: 'inception_v3',
    description: 'nsfwjs InceptionV3 (299×299), 5 classes',
    features: { layer: 'flatten_1', size: 2048 },
  },
};

export interface BuildDefaultModelsOptions {
  outDir: string;
  /** Photos to verify on besides random inputs (a directory); random inputs only when absent. */
  verifyImages?: string;
  /** One line per model (default: stderr). */
  log?: (line: string) => void;
}

/** nsfwjs' model folder (its exports hide package.json: resolve its main and go up to dist/). */
function nsfwjsModels(): string {
  const require = createRequire(import.meta.url);
  return path.resolve(path.dirname(require.resolve('nsfwjs')), '../models');
}

async function upToDate(outDir: string, name: string, source: string, model: BuiltInModel): Promise<boolean> {
  const manifestPath = path.join(outDir, `${name}.json`);
  if (!existsSync(manifestPath)) return false;
  try {
    const m = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      file: string;
      sha256: { model: string; source?: string };
      features?: { file: string; sha256: string; size: number };
      provenance: { converter: string };
    };
    if (m.provenance.converter !== CONVERTER_NAME || m.sha256.source !== (await sha256File(source)))
      return false;
    if ((await sha256File(path.join(outDir, m.file))) !== m.sha256.model) return false;
    if (m.features?.size !== model.features.size) return false;
    if (m.features && (await sha256File(path.join(outDir, m.features.file))) !== m.features.sha256)
      return false;
    return true;
  } catch (error) {
    // An unreadable or foreign manifest is rebuilt; say why.
    process.stderr.write(`[INFO] ${name}: rebuilding (${messageOf(error)})\n`);
    return false;
  }
}

/** Builds every built-in model that is missing or stale into `outDir`. */
export async function buildDefaultModels(options: BuildDefaultModelsOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (const [name, model] of Object.entries(BUILT_IN_MODELS)) {
    const source = path.join(nsfwjsModels(), model.dir, 'model.min.js');
    if (await upToDate(options.outDir, name, source, model)) {
      log(`${name}: up to date`);
      continue;
    }
    const result = await convertModelFile(source, {
      outDir: options.outDir,
      name,
      architecture: model.architecture,
      description: model.description,
      license: 'MIT (nsfwjs)',
      labels: NSFW_LABELS,
      featuresLayer: model.features.layer,
      // nsfwjs: pixels / 255 after a bilinear resize with align-corners.
      preprocessing: { mode: 'scale', factor: 1 / 255, offset: 0, resize: 'bilinear-align-corners' },
      verify: true,
      ...(options.verifyImages !== undefined && { verifyImages: options.verifyImages }),
      verifyRandom: 2,
    });
    const v = result.verification;
    log(
      `${name}: ${result.summary.parameters.toLocaleString('en')} params, ${(result.summary.onnxBytes / 1e6).toFixed(1)} MB, ` +
        `verified max |Δ| ${v?.maxAbsDiff.toExponential(2)} top-1 ${((v?.top1Agreement ?? 0) * 100).toFixed(0)}% over ${v?.samples} inputs, ` +
        `${(result.millis / 1000).toFixed(1)} s → ${result.written.manifestPath}`,
    );
  }
}

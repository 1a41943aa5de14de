/**
 * The built-in models, built offline from the npm dependency nsfwjs (TF.js layers models written by
 * Keras 2.2.4): nsfw-mobilenet-v2 (the default) and nsfw-inception-v3, each with its penultimate-features
 * model, verified against TensorFlow.js. A model whose files are present with matching hashes (and the
 * same converter and source) is left alone. `npm run models` and `netlens start` both call this.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { createRequire } from 'node:module';
import path from 'node:path';
import { messageOf } from '../core/errors.js';
import { type ModelCard, parseManifest } from '../core/manifest.js';
import { convertModelFile } from './convert-file.js';
import { CONVERTER_NAME } from './keras/convert.js';
import { sha256File } from './read-model.js';
import type { BuildableModel } from '../runtime/node/model-dir.js';
import { writeFilesAtomically } from './write-model.js';

export const NSFW_LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

/** How each built-in model (BUILDABLE_MODELS names them) is made from nsfwjs' files, and its card. */
interface BuiltInModel {
  architecture: string;
  dir: string;
  description: string;
  card: ModelCard;
  /**
   * The features model: the backbone's pooled output (flatten_1), not the input of the final Dense
   * (dense_2, 128 values fine-tuned for the five nsfw classes), so that embeddings and `netlens train`
   * get general image features: on Fashion-MNIST a head on dense_2 reached 64% and one on flatten_1 80%.
   */
  features: { layer: string; size: number };
}

/** What the five nsfwjs classes mean (nsfwjs' README). */
const NSFW_CLASSES: Record<string, string> = {
  Drawing: 'safe-for-work drawings, including anime',
  Hentai: 'pornographic drawings (hentai)',
  Neutral: 'safe-for-work neutral images (people, animals, objects, places…)',
  Porn: 'pornographic images, sexual acts',
  Sexy: 'sexually explicit images that are not pornography',
};

const NSFW_INTENDED_USE =
  'Content moderation: flag uploads for a human to review, or blur them until someone does. It only ' +
  'sorts images into these five content categories; it does not recognise objects (a dog photo is ' +
  '"Neutral"), and it is not meant to judge people or to decide anything without human review. For ' +
  'general object recognition install an ImageNet model (see "Install more models").';

const NSFW_LIMITATIONS =
  'Trained by nsfwjs on images scraped from the web; its labels reflect that data and its biases. ' +
  'Swimwear, sports and medical photos with much skin can score "Sexy" or "Porn"; drawings of people ' +
  'can score "Hentai". Scores are the softmax of one network, not calibrated probabilities: pick ' +
  'thresholds on your own images.';

const NSFW_ORIGIN =
  'nsfwjs 4.4.0 (npm, MIT; github.com/infinitered/nsfwjs), converted offline from its TF.js layers files ' +
  '(Keras 2.2.4); the network is an ImageNet backbone fine-tuned on the five classes.';

const BUILT_IN_MODELS: Record<BuildableModel, BuiltInModel> = {
  'nsfw-mobilenet-v2': {
    architecture: 'mobilenet_v2',
    dir: 'mobilenet_v2',
    description: 'nsfwjs MobileNetV2 (224×224), 5 content-moderation classes',
    card: {
      summary:
        'A content-moderation classifier: it scores how likely an image is a drawing, hentai, porn, ' +
        'sexy or neutral. Small and fast (MobileNetV2, 10 MB); nsfwjs reports about 90% accuracy for it ' +
        'on its own test set.',
      classes: NSFW_CLASSES,
      intendedUse: NSFW_INTENDED_USE,
      limitations: NSFW_LIMITATIONS,
      origin: NSFW_ORIGIN,
    },
    features: { layer: 'flatten_1', size: 1280 },
  },
  'nsfw-inception-v3': {
    architecture: 'inception_v3',
    dir: 'inception_v3',
    description: 'nsfwjs InceptionV3 (299×299), 5 content-moderation classes',
    card: {
      summary:
        'The same five content-moderation classes as nsfw-mobilenet-v2 from a larger network ' +
        '(InceptionV3, 85 MB, 299×299 input): slower, and too large for a Cloudflare Worker isolate ' +
        '(its int8 variant, `netlens quantize nsfw-inception-v3 --int8`, fits: docs/quantize.md).',
      classes: NSFW_CLASSES,
      intendedUse: NSFW_INTENDED_USE,
      limitations: NSFW_LIMITATIONS,
      origin: NSFW_ORIGIN,
    },
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

/** The manifest at `manifestPath` when its model files are current (same converter, source and hashes). */
async function currentManifest(
  outDir: string,
  name: string,
  source: string,
  model: BuiltInModel,
): Promise<Record<string, unknown> | undefined> {
  const manifestPath = path.join(outDir, `${name}.json`);
  if (!existsSync(manifestPath)) return undefined;
  try {
    const m = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      file: string;
      sha256: { model: string; source?: string };
      features?: { file: string; sha256: string; size: number };
      provenance: { converter: string };
    };
    if (m.provenance.converter !== CONVERTER_NAME || m.sha256.source !== (await sha256File(source)))
      return undefined;
    if ((await sha256File(path.join(outDir, m.file))) !== m.sha256.model) return undefined;
    if (m.features?.size !== model.features.size) return undefined;
    if (m.features && (await sha256File(path.join(outDir, m.features.file))) !== m.features.sha256)
      return undefined;
    return m as unknown as Record<string, unknown>;
  } catch (error) {
    // An unreadable or foreign manifest is rebuilt; say why.
    process.stderr.write(`[INFO] ${name}: rebuilding (${messageOf(error)})\n`);
    return undefined;
  }
}

/**
 * A current model whose description or card changed gets only its manifest rewritten (the ONNX files
 * and hashes stay): returns whether it did.
 */
async function refreshCard(
  outDir: string,
  name: string,
  manifest: Record<string, unknown>,
  model: { description: string; card: ModelCard },
): Promise<boolean> {
  if (manifest.description === model.description && isDeepStrictEqual(manifest.card, model.card))
    return false;
  const updated = { ...manifest, description: model.description, card: model.card };
  parseManifest(updated, `manifest of ${name}`);
  const manifestPath = path.join(outDir, `${name}.json`);
  await writeFilesAtomically([{ path: manifestPath, data: `${JSON.stringify(updated, null, 2)}\n` }]);
  return true;
}

/** Builds every built-in model that is missing or stale into `outDir`. */
export async function buildDefaultModels(options: BuildDefaultModelsOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (const [name, model] of Object.entries(BUILT_IN_MODELS)) {
    const source = path.join(nsfwjsModels(), model.dir, 'model.min.js');
    const current = await currentManifest(options.outDir, name, source, model);
    if (current !== undefined) {
      const refreshed = await refreshCard(options.outDir, name, current, model);
      log(`${name}: up to date${refreshed ? ' (model card updated)' : ''}`);
      continue;
    }
    const result = await convertModelFile(source, {
      outDir: options.outDir,
      name,
      architecture: model.architecture,
      description: model.description,
      card: model.card,
      license: 'MIT (nsfwjs)',
      labels: NSFW_LABELS,
      featuresLayer: model.features.layer,
      // nsfwjs: pixels / 255 after a bilinear resize with align-corners.
      preprocessing: { mode: 'scale', factor: 1 / 255, offset: 0, resize: 'bilinear-align-corners' },
      verify: true,
      ...(options.verifyImages !== undefined && { verifyImages: options.verifyImages }),
      verifyRandom: 2,
    });
    // The manifest's number: the larger of the model's and the features model's differences.
    const v = result.manifest.provenance.verification;
    const g = result.manifest.provenance.graph;
    log(
      `${name}: ${result.summary.parameters.toLocaleString('en')} params, ${(result.summary.onnxBytes / 1e6).toFixed(1)} MB, ` +
        `verified max |Δ| ${v?.maxAbsDiff.toExponential(2)} (model ${v?.modelMaxAbsDiff?.toExponential(2)}, features ` +
        `${v?.featuresMaxAbsDiff?.toExponential(2)}) top-1 ${((v?.top1Agreement ?? 0) * 100).toFixed(0)}% over ${v?.samples} inputs, ` +
        `onnxruntime ${g?.nodes} → ${g?.optimizedNodes} nodes, ` +
        `${(result.millis / 1000).toFixed(1)} s → ${result.written.manifestPath}`,
    );
  }
}

/**
 * `npm run models`: builds the built-in models offline from the npm dependency nsfwjs (TF.js layers
 * models written by Keras 2.2.4): nsfw-mobilenet-v2 (the default) and nsfw-inception-v3, each with its
 * penultimate-features model, verified against TensorFlow.js. Skips a model whose files are present
 * with matching hashes. Generated files are git-ignored (docs/converter.md).
 *
 * `npm run models -- --int8` also builds their int8 variants (nsfw-mobilenet-v2-int8,
 * nsfw-inception-v3-int8) with `netlens quantize`'s defaults, agreement measured on ../shared/data/images
 * when it exists (else on the held-out part of the calibration photos); off by default so `npm start`
 * stays fast (docs/quantize.md).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONVERTER_NAME } from '../../src/convert/keras/convert.js';
import { convertModelFile } from '../../src/convert/convert-file.js';
import { sha256File } from '../../src/convert/read-model.js';
import { QUANTIZER_NAME, quantizeModel } from '../../src/quantize/quantize-model.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = path.join(root, 'models/onnx');
const sharedImages = path.resolve(root, '../shared/data/images');
const require = createRequire(import.meta.url);
// nsfwjs' exports hide package.json: resolve its main (dist/cjs/index.js) and go up to dist/.
const nsfwjsModels = path.resolve(path.dirname(require.resolve('nsfwjs')), '../models');

export const NSFW_LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

const MODELS = [
  {
    name: 'nsfw-mobilenet-v2',
    architecture: 'mobilenet_v2',
    dir: 'mobilenet_v2',
    description: 'nsfwjs MobileNetV2 (224×224), 5 classes',
  },
  {
    name: 'nsfw-inception-v3',
    architecture: 'inception_v3',
    dir: 'inception_v3',
    description: 'nsfwjs InceptionV3 (299×299), 5 classes',
  },
];

async function upToDate(name: string, source: string): Promise<boolean> {
  const manifestPath = path.join(outDir, `${name}.json`);
  if (!existsSync(manifestPath)) return false;
  try {
    const m = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      file: string;
      sha256: { model: string; source?: string };
      features?: { file: string; sha256: string };
      provenance: { converter: string };
    };
    if (m.provenance.converter !== CONVERTER_NAME || m.sha256.source !== (await sha256File(source)))
      return false;
    if ((await sha256File(path.join(outDir, m.file))) !== m.sha256.model) return false;
    if (m.features && (await sha256File(path.join(outDir, m.features.file))) !== m.features.sha256)
      return false;
    return true;
  } catch {
    return false;
  }
}

for (const model of MODELS) {
  const source = path.join(nsfwjsModels, model.dir, 'model.min.js');
  if (await upToDate(model.name, source)) {
    console.error(`${model.name}: up to date`);
    continue;
  }
  const result = await convertModelFile(source, {
    outDir,
    name: model.name,
    architecture: model.architecture,
    description: model.description,
    license: 'MIT (nsfwjs)',
    labels: NSFW_LABELS,
    // nsfwjs: pixels / 255 after a bilinear resize with align-corners.
    preprocessing: { mode: 'scale', factor: 1 / 255, offset: 0, resize: 'bilinear-align-corners' },
    verify: true,
    ...(existsSync(sharedImages) ? { verifyImages: sharedImages } : {}),
    verifyRandom: 2,
  });
  const v = result.verification;
  console.error(
    `${model.name}: ${result.summary.parameters.toLocaleString('en')} params, ${(result.summary.onnxBytes / 1e6).toFixed(1)} MB, ` +
      `verified max |Δ| ${v?.maxAbsDiff.toExponential(2)} top-1 ${((v?.top1Agreement ?? 0) * 100).toFixed(0)}% over ${v?.samples} inputs, ` +
      `${(result.millis / 1000).toFixed(1)} s → ${path.relative(root, result.written.manifestPath)}`,
  );
}

/** True when `<name>-int8` exists, was made from the current float32 file by this quantizer, and is intact. */
async function variantUpToDate(name: string): Promise<boolean> {
  const path = join(outDir, `${name}-int8.json`);
  if (!existsSync(path)) return false;
  try {
    const m = JSON.parse(await readFile(path, 'utf8')) as {
      file: string;
      sha256: { model: string };
      quantization?: { quantizer: string; from: { sha256: string } };
    };
    const source = JSON.parse(await readFile(join(outDir, `${name}.json`), 'utf8')) as {
      sha256: { model: string };
    };
    return (
      m.quantization?.quantizer === QUANTIZER_NAME &&
      m.quantization.from.sha256 === source.sha256.model &&
      (await sha256File(join(outDir, m.file))) === m.sha256.model
    );
  } catch {
    return false;
  }
}

if (process.argv.includes('--int8')) {
  for (const model of MODELS) {
    if (await variantUpToDate(model.name)) {
      console.error(`${model.name}-int8: up to date`);
      continue;
    }
    const result = await quantizeModel(model.name, {
      kind: 'int8',
      modelsDir: outDir,
      ...(existsSync(sharedImages) ? { holdout: sharedImages } : {}),
    });
    const a = result.agreement;
    console.error(
      `${model.name}-int8: ${(result.bytes / 1e6).toFixed(1)} MB, top-1 agreement ${(a.top1 * 100).toFixed(1)}% over ${a.samples} held-out inputs, ` +
        `max |Δp| ${a.maxAbsDiff.toFixed(3)}, ${(result.millis / 1000).toFixed(1)} s → ${path.relative(root, result.manifestPath)}`,
    );
  }
}

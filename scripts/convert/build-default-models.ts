/**
 * `npm run models`: builds the built-in models into models/onnx (src/convert/default-models.ts), verified
 * against TensorFlow.js on random inputs and — in a checkout with ../shared beside it — the shared photos.
 * Generated files are git-ignored (docs/converter.md).
 *
 * `npm run models -- --int8` also builds their int8 variants (nsfw-mobilenet-v2-int8,
 * nsfw-inception-v3-int8) with `netlens quantize`'s defaults, agreement measured on ../shared/data/images
 * when it exists (else on the held-out part of the calibration photos); off by default so `npm start`
 * stays fast (docs/quantize.md).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path, { join } from 'node:path';
import { buildDefaultModels } from '../../src/convert/default-models.js';
import { sha256File } from '../../src/convert/read-model.js';
import { QUANTIZER_NAME, quantizeModel } from '../../src/quantize/quantize-model.js';
import { BUILDABLE_MODELS, INSTALLED_MODELS_DIR } from '../../src/runtime/node/model-dir.js';

const root = path.resolve(import.meta.dirname, '../..');
const sharedImages = path.resolve(root, '../shared/data/images');

await buildDefaultModels({
  outDir: INSTALLED_MODELS_DIR,
  ...(existsSync(sharedImages) && { verifyImages: sharedImages }),
});

/** True when `<name>-int8` exists, was made from the current float32 file by this quantizer, and is intact. */
async function variantUpToDate(name: string): Promise<boolean> {
  const manifestPath = join(INSTALLED_MODELS_DIR, `${name}-int8.json`);
  if (!existsSync(manifestPath)) return false;
  try {
    const m = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      file: string;
      sha256: { model: string };
      quantization?: { quantizer: string; from: { sha256: string } };
    };
    const source = JSON.parse(await readFile(join(INSTALLED_MODELS_DIR, `${name}.json`), 'utf8')) as {
      sha256: { model: string };
    };
    return (
      m.quantization?.quantizer === QUANTIZER_NAME &&
      m.quantization.from.sha256 === source.sha256.model &&
      (await sha256File(join(INSTALLED_MODELS_DIR, m.file))) === m.sha256.model
    );
  } catch {
    return false;
  }
}

if (process.argv.includes('--int8')) {
  for (const name of BUILDABLE_MODELS) {
    if (await variantUpToDate(name)) {
      console.error(`${name}-int8: up to date`);
      continue;
    }
    const result = await quantizeModel(name, {
      kind: 'int8',
      modelsDir: INSTALLED_MODELS_DIR,
      ...(existsSync(sharedImages) ? { holdout: sharedImages } : {}),
    });
    const a = result.agreement;
    console.error(
      `${name}-int8: ${(result.bytes / 1e6).toFixed(1)} MB, top-1 agreement ${(a.top1 * 100).toFixed(1)}% over ${a.samples} held-out inputs, ` +
        `max |Δp| ${a.maxAbsDiff.toFixed(3)}, ${(result.millis / 1000).toFixed(1)} s → ${path.relative(root, result.manifestPath)}`,
    );
  }
}

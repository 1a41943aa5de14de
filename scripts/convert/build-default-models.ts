/**
 * `npm run models`: builds the built-in models into models/onnx (src/convert/default-models.ts), verified
 * against TensorFlow.js on random inputs and — in a checkout with ../shared beside it — the shared photos.
 * Generated files are git-ignored (docs/converter.md).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildDefaultModels } from '../../src/convert/default-models.js';
import { INSTALLED_MODELS_DIR } from '../../src/runtime/node/model-dir.js';

const root = path.resolve(import.meta.dirname, '../..');
const sharedImages = path.resolve(root, '../shared/data/images');

await buildDefaultModels({
  outDir: INSTALLED_MODELS_DIR,
  ...(existsSync(sharedImages) && { verifyImages: sharedImages }),
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../src/core/pipeline.js';
import type { Prediction } from '../src/core/decode.js';
import { decodeImage } from '../src/runtime/node/decode-image.js';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { createModelDirectorySource } from '../src/runtime/node/model-dir.js';
import { DEFAULT_MODEL } from '../src/settings/index.js';
import { netlens, PHOTOS, ROOT } from './cli-helpers.js';

const MODELS = join(ROOT, 'models/onnx');
const tmp = mkdtempSync(join(tmpdir(), 'netlens-cli-default-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The real default model (nsfwjs MobileNetV2 converted by `npm run models`) on every shared photo. */
describe(`netlens classify with the default model (${DEFAULT_MODEL})`, () => {
  beforeAll(() => {
    if (existsSync(join(MODELS, `${DEFAULT_MODEL}.json`))) return;
    const built = spawnSync('npm', ['run', '--silent', 'models'], {
      cwd: ROOT,
      stdio: 'inherit',
      timeout: 540_000,
    });
    expect(built.status, 'npm run models failed').toBe(0);
  });

  it('prints the same top-5 as in-process classification for every photo and annotates them', async () => {
    const photos = readdirSync(PHOTOS)
      .sort()
      .map((f) => join(PHOTOS, f));
    const annotated = join(tmp, 'annotated');
    const r = await netlens(['classify', PHOTOS, '--json', '--annotate', annotated], {
      NETLENS_MODELS_DIR: '',
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      model: string;
      provider: string;
      results: { file: string; predictions: Prediction[]; annotated: string }[];
    };
    expect(doc.model).toBe(DEFAULT_MODEL);
    expect(doc.results.map((x) => x.file)).toEqual(photos);
    expect(r.stderr).toMatch(/classified 8 of 8 images in [\d.]+ s: [\d.]+ images\/s/);

    const source = createModelDirectorySource(MODELS);
    const manifest = await source.manifest(DEFAULT_MODEL);
    const session = await createNodeEngine({ providers: ['cpu'] }).createSession(
      await source.modelBytes(manifest),
    );
    for (const [i, file] of photos.entries()) {
      const bytes = readFileSync(file);
      const [expected] = await classify(session, manifest, [{ bytes, decoded: await decodeImage(bytes) }]);
      const got = doc.results[i]!.predictions;
      expect(
        got.map((p) => p.label),
        file,
      ).toEqual(expected!.map((p) => p.label));
      for (const [k, p] of got.entries()) expect(Math.abs(p.score - expected![k]!.score)).toBeLessThan(1e-5);
      const meta = await sharp(doc.results[i]!.annotated).metadata();
      const original = await sharp(bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', original.width, original.height]);
    }
    await session.dispose();

    // The text form is the Keras tutorial's, one block per photo.
    const text = await netlens(['classify', join(PHOTOS, 'jemma.png')], { NETLENS_MODELS_DIR: '' });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^.*jemma\.png\n(\d\. (Drawing|Hentai|Neutral|Porn|Sexy): \d{1,3}\.\d\d%\n){5}\n$/,
    );
  });
});

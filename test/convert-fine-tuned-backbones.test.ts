/**
 * Done-when of the converter issue: a fine-tuned EfficientNetB0 and MobileNetV3Small in the layout
 * `Sequential([base(pooling='avg'), Dropout, Dense])`, saved as tf.keras 2 `.h5` and Keras 3 `.keras`
 * (scripts/convert/seed-fine-tuned.ts, seeded weights), convert with --verify — the backbone's own
 * output is the features model — and are served by the HTTP app with the real Node engine, answering
 * what onnxruntime computes on the manifest-preprocessed photo.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app/app.js';
import { ModelRegistry } from '../src/app/registry.js';
import { convertModelFile } from '../src/convert/convert-file.js';
import {
  createModelDirectorySource,
  createNodeEngine,
  createSharpImageDecoder,
} from '../src/runtime/node/index.js';
import {
  FINE_TUNED_BACKBONES,
  FINE_TUNED_CLASSES,
  seedFineTunedSequential,
  type FineTunedFormat,
} from '../scripts/convert/seed-fine-tuned.js';
import { runOnnx } from './architecture-verify.js';
import { PHOTO_DIR, PHOTOS, photoInputs } from './architectures-photos.js';

const TIMEOUT = 600_000;
const FORMATS: FineTunedFormat[] = ['h5', 'keras'];
/** The backbone's layer name in each generation (tf.keras 2 / Keras 3). */
const BACKBONE_LAYER = {
  efficientnet_b0: { h5: 'efficientnetb0', keras: 'efficientnetb0' },
  mobilenet_v3_small: { h5: 'MobilenetV3small', keras: 'MobileNetV3Small' },
};
const FEATURES = { efficientnet_b0: 1280, mobilenet_v3_small: 576 };

interface Answer {
  model: string;
  results: { predictions: { label: string; score: number }[] }[];
}

describe('fine-tuned Sequential([backbone(pooling="avg"), Dropout, Dense]): convert --verify, then serve', () => {
  for (const backbone of FINE_TUNED_BACKBONES) {
    for (const format of FORMATS) {
      it(
        `${backbone} .${format}`,
        async () => {
          const fixture = await seedFineTunedSequential(backbone, format);
          const outDir = mkdtempSync(path.join(tmpdir(), 'netlens-finetuned-'));
          const name = `ft-${backbone.replace(/_/g, '-')}-${format}`;
          const r = await convertModelFile(fixture.path, {
            outDir,
            name,
            labels: [...FINE_TUNED_CLASSES],
            verify: true,
            verifyImages: PHOTO_DIR,
            verifyRandom: 1,
          });
          expect(r.summary.parameters).toBe(fixture.parameters);
          expect(r.verification).toMatchObject({
            samples: PHOTOS.length + 1,
            top1Agreement: 1,
            top5Agreement: 1,
          });
          expect(r.verification?.maxAbsDiff).toBeLessThanOrEqual(1e-4);
          expect(r.featuresSummary?.outputLayer).toBe(BACKBONE_LAYER[backbone][format]);
          expect(r.featuresVerification?.maxAbsDiff).toBeLessThanOrEqual(1e-4);
          // The nested backbone names the architecture, and so Keras' preprocessing: raw pixels, as
          // EfficientNet and MobileNetV3 normalise inside the model.
          expect(r.manifest).toMatchObject({
            architecture: backbone,
            output: { kind: 'probabilities', size: 3 },
            features: { size: FEATURES[backbone] },
            preprocessing: { mode: 'scale', factor: 1, offset: 0, resize: 'nearest' },
          });

          const registry = new ModelRegistry({
            source: createModelDirectorySource(outDir),
            engine: createNodeEngine({ providers: ['cpu'] }),
            defaultModel: name,
          });
          await registry.start();
          const app = createApp({
            registry,
            decodeImage: createSharpImageDecoder(),
            config: { batching: { maxDelayMs: 0 } },
          });
          try {
            const photo = PHOTOS[0] as string;
            const res = await app.request(
              new Request(`http://localhost/v1/models/${name}/classify`, {
                method: 'POST',
                body: readFileSync(path.join(PHOTO_DIR, photo)),
                headers: { 'content-type': 'image/png' },
              }),
            );
            expect(res.status).toBe(200);
            const answer = (await res.json()) as Answer;
            expect(answer.model).toBe(name);
            const predictions = answer.results[0]?.predictions ?? [];
            expect(predictions.map((p) => p.label).sort()).toEqual([...FINE_TUNED_CLASSES].sort());
            const [probabilities] = await runOnnx(
              readFileSync(path.join(outDir, `${name}.onnx`)),
              await photoInputs(r.manifest, [photo]),
            );
            for (const p of predictions) {
              const index = FINE_TUNED_CLASSES.indexOf(p.label as (typeof FINE_TUNED_CLASSES)[number]);
              expect(p.score).toBeCloseTo(probabilities?.[index] ?? NaN, 5);
            }
            const embed = await app.request(
              new Request(`http://localhost/v1/models/${name}/embed`, {
                method: 'POST',
                body: readFileSync(path.join(PHOTO_DIR, photo)),
                headers: { 'content-type': 'image/png' },
              }),
            );
            expect(embed.status).toBe(200);
          } finally {
            await app.control.close();
          }
        },
        TIMEOUT,
      );
    }
  }
});

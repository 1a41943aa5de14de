/**
 * Done-when of the converter issue for the built-in architectures: each of the five, with seeded weights
 * written as a Keras weights-only HDF5 (both ResNet50 generations), goes through `netlens convert --arch`'s
 * path (buildArchitectureSpec → convertKerasModel) and matches TensorFlow.js layers on the shared photos
 * within 1e-4 with identical top-5. VGG uses two photos to keep CI time down (528/549 MB of weights).
 * Seeded files are cached in test/.cache/seeded-weights (first run writes ~1.4 GB).
 */
import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import {
  buildArchitectureSpec,
  type ArchitectureName,
  type ArchitectureOptions,
} from '../src/convert/architectures/index.js';
import { convertKerasModel, readKerasH5Model } from '../src/convert/index.js';
import { verifyAgainstTfjs } from '../src/convert/verify/verify.js';
import { seedFineTunedModel, FINE_TUNED_CLASSES } from '../scripts/convert/seed-full-model.js';
import { seedWeightsFile, type SeedNaming } from '../scripts/convert/seed-weights.js';
import { convertAndVerifySeeded, expectInformativeSoftmax, runOnnx } from './architecture-verify.js';
import { photoInputs, PHOTOS } from './architectures-photos.js';

const TIMEOUT = 600_000;

interface Case {
  arch: ArchitectureName;
  options: Partial<ArchitectureOptions>;
  parameters: number;
  photos: readonly string[];
  name: string;
  /** 'legacy': layer and weight names differ from the builder's, so weights pair by Keras' order. */
  fileNaming?: SeedNaming;
}

const CASES: Case[] = [
  {
    arch: 'resnet50',
    options: { resnet50Naming: 'tf-keras' },
    parameters: 25_636_712,
    photos: PHOTOS,
    name: 'resnet50',
  },
  {
    arch: 'resnet50',
    options: { resnet50Naming: 'keras-applications' },
    parameters: 25_636_712,
    photos: PHOTOS,
    name: 'resnet50-ka',
  },
  { arch: 'inception_v3', options: {}, parameters: 23_851_784, photos: PHOTOS, name: 'inception-v3' },
  { arch: 'xception', options: {}, parameters: 22_910_480, photos: PHOTOS, name: 'xception' },
  {
    arch: 'resnet50',
    options: { includeTop: false },
    parameters: 23_587_712,
    photos: PHOTOS.slice(0, 2),
    name: 'resnet50-notop',
  },
  {
    arch: 'inception_v3',
    options: {},
    parameters: 23_851_784,
    photos: PHOTOS.slice(4, 6),
    name: 'inception-v3',
    fileNaming: 'legacy',
  },
  { arch: 'vgg16', options: {}, parameters: 138_357_544, photos: PHOTOS.slice(0, 2), name: 'vgg16' },
  { arch: 'vgg19', options: {}, parameters: 143_667_240, photos: PHOTOS.slice(2, 4), name: 'vgg19' },
];

describe('built-in architectures: seeded Keras weight files → ONNX → TensorFlow.js reference', () => {
  for (const c of CASES) {
    it(
      `${c.name}${c.fileNaming === 'legacy' ? ' (legacy names)' : ''}: converts with exact parameters and matches TF.js on ${c.photos.length} photos + 1 random image (≤ 1e-4, same top-5)`,
      async () => {
        const { spec, result, inputs, verification } = await convertAndVerifySeeded({
          arch: c.arch,
          file: c.options,
          photos: c.photos,
          ...(c.fileNaming ? { naming: c.fileNaming } : {}),
        });
        expect(verification.samples).toBe(c.photos.length + 1);
        expect(spec.matching).toBe(c.fileNaming === 'legacy' ? 'by-order' : 'by-name');
        expect(spec.detected.includeTop).toBe(c.options.includeTop ?? true);
        if (c.arch === 'resnet50')
          expect(spec.detected.resnet50Naming).toBe(c.options.resnet50Naming ?? 'tf-keras');
        expect(spec.defaults.name).toBe(c.name);
        expect(result.summary.parameters).toBe(c.parameters);
        const size = c.arch === 'inception_v3' || c.arch === 'xception' ? 299 : 224;
        expect(result.manifest.input).toMatchObject({ height: size, width: size, channels: 3 });
        expect(result.manifest.preprocessing.mode).toBe(size === 299 ? 'tf' : 'caffe');
        expect(result.manifest.preprocessing.resize).toBe('nearest');
        if (spec.built.options.includeTop) {
          expect(result.manifest.output).toMatchObject({ kind: 'probabilities', size: 1000 });
          expect(Object.keys(result.manifest.labels)).toHaveLength(1000);
          for (const probabilities of await runOnnx(result.onnx, inputs.slice(0, 2)))
            expectInformativeSoftmax(probabilities);
        } else {
          expect(result.manifest.output.size).toBe(2048);
        }
      },
      TIMEOUT,
    );
  }
});

describe('tf.keras fine-tuned full model (.h5): ResNet50 backbone as a nested model + new Dense head', () => {
  it(
    'converts and matches TF.js on the photos',
    async () => {
      const { path, modelConfig } = await seedFineTunedModel(1);
      expect(JSON.stringify(modelConfig)).toContain('"class_name":"Functional","name":"resnet50"');
      const spec = await readKerasH5Model(path);
      const result = await convertKerasModel(spec, {
        name: 'finetuned-resnet50',
        architecture: 'resnet50',
        labels: [...FINE_TUNED_CLASSES],
      });
      expect(result.summary.parameters).toBe(23_587_712 + 2048 * 3 + 3);
      expect(result.manifest.output).toMatchObject({ kind: 'probabilities', size: 3 });
      const inputs = await photoInputs(result.manifest, PHOTOS.slice(0, 4));
      const verification = await verifyAgainstTfjs(spec, result.onnx, inputs, { failAboveTolerance: false });
      expect(verification.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      expect(verification.top5Agreement).toBe(1);
    },
    TIMEOUT,
  );
});

describe('buildArchitectureSpec: bad input', () => {
  it('rejects an unknown architecture, listing the valid ones', async () => {
    await expect(buildArchitectureSpec('resnet18', 'x.h5')).rejects.toThrow(
      /unknown architecture 'resnet18': valid values are vgg16, vgg19, resnet50, inception_v3, xception, resnet101, .*, efficientnet_b7$/,
    );
  });

  it('explains a weight file for another architecture', async () => {
    const { path } = await seedWeightsFile('resnet50', { resnet50Naming: 'tf-keras', includeTop: false }, 1);
    const error = await buildArchitectureSpec('xception', path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlensError);
    expect((error as NetlensError).code).toBe('invalid_model_file');
    expect((error as Error).message).toMatch(
      /106 layers with weights but xception \(without top\) has 80.*right --arch/,
    );
  });

  it('refuses include_top on a _notop file and a classes count the file does not have', async () => {
    const { path } = await seedWeightsFile('resnet50', { resnet50Naming: 'tf-keras', includeTop: false }, 1);
    await expect(buildArchitectureSpec('resnet50', path, { includeTop: true })).rejects.toThrow(
      /no classifier \(a _notop file\)/,
    );
    const { path: full } = await seedWeightsFile('inception_v3', {}, 1);
    await expect(buildArchitectureSpec('inception_v3', full, { classes: 10 })).rejects.toThrow(
      /1000 classes, not 10/,
    );
    await expect(
      buildArchitectureSpec('resnet50', path, { resnet50Naming: 'keras-applications' }),
    ).rejects.toThrow(/uses tf-keras layer names/);
  });

  it('builds the feature extractor from a file with the top when asked (include_top false, by name)', async () => {
    const { path } = await seedWeightsFile('inception_v3', {}, 1);
    const spec = await buildArchitectureSpec('inception_v3', path, { includeTop: false, pooling: 'max' });
    expect(spec.built.outputShape).toEqual([2048]);
    expect(spec.weights.has('predictions')).toBe(false);
    expect(spec.defaults.name).toBe('inception-v3-notop');
    expect(spec.defaults.labels).toBeUndefined();
  });
});

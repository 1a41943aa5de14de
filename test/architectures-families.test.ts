/**
 * Done-when of the converter issue for the architectures beyond the first five: each one, from seeded
 * weights in Keras' official weights-only HDF5 layout, converts and matches TensorFlow.js within 1e-4 with
 * the same top-5 on the shared photos and one random image. One member of each family runs at its full
 * input size; the others at a smaller input Keras allows (weights=None), to keep CI within minutes: the
 * weights and layers are the same, only the spatial size differs.
 *
 * NETLENS_FULL_ARCHITECTURES=1 runs every architecture at its full size instead (NASNetLarge and the larger
 * EfficientNets take minutes each; results in docs/converter.md).
 */
import { describe, expect, it } from 'vitest';
import { ARCHITECTURE_FACTS, type ArchitectureName } from '../src/convert/architectures/index.js';
import {
  convertAndVerifySeeded,
  expectInformativeSoftmax,
  runOnnx,
  type SeededCase,
} from './architecture-verify.js';
import { PHOTOS } from './architectures-photos.js';

const TIMEOUT = 900_000;
const FULL = process.env['NETLENS_FULL_ARCHITECTURES'] === '1';

interface FamilyCase extends SeededCase {
  /** The input size in CI (undefined: the architecture's default, i.e. full size). */
  ciSize?: number;
}

const small = (arch: ArchitectureName, ciSize: number, extra: Partial<FamilyCase> = {}): FamilyCase => ({
  arch,
  photos: PHOTOS,
  ciSize,
  ...extra,
});
const full = (arch: ArchitectureName, extra: Partial<FamilyCase> = {}): FamilyCase => ({
  arch,
  photos: PHOTOS,
  ...extra,
});

/** Keras' preprocess_input per family (keras.applications.<family>.preprocess_input). */
const PREPROCESS: Partial<Record<ArchitectureName, string>> = {
  mobilenet: 'tf',
  mobilenet_v2: 'tf',
  densenet121: 'torch',
  densenet169: 'torch',
  densenet201: 'torch',
  resnet101: 'caffe',
  resnet152: 'caffe',
  resnet50_v2: 'tf',
  resnet101_v2: 'tf',
  resnet152_v2: 'tf',
  inception_resnet_v2: 'tf',
  nasnet_mobile: 'tf',
  nasnet_large: 'tf',
};
/** EfficientNet and MobileNetV3 normalise inside the model: their preprocess_input passes pixels through. */
const RAW = { mode: 'scale', factor: 1, offset: 0 };

const CASES: FamilyCase[] = [
  full('mobilenet'),
  full('mobilenet_v2'),
  full('densenet121'),
  small('densenet169', 96),
  small('densenet201', 64, { file: { includeTop: false }, build: { pooling: 'avg' } }),
  full('resnet101'),
  small('resnet152', 64),
  full('resnet50_v2'),
  small('resnet101_v2', 64, { file: { includeTop: false }, build: { pooling: 'max' } }),
  small('resnet152_v2', 64),
  full('inception_resnet_v2'),
  full('nasnet_mobile'),
  small('nasnet_large', 96),
  full('mobilenet_v3_small'),
  small('mobilenet_v3_large', 96, { file: { includeTop: false }, build: { pooling: 'avg' } }),
  full('efficientnet_b0'),
  small('efficientnet_b1', 64),
  small('efficientnet_b2', 64),
  small('efficientnet_b3', 64),
  small('efficientnet_b4', 64),
  small('efficientnet_b5', 64),
  small('efficientnet_b6', 64),
  small('efficientnet_b7', 64),
];

/**
 * EfficientNetB5–B7 are B1–B4's builder and blocks, only wider and deeper; their 120–270 MB seeded weight
 * files alone cost minutes of CI. They are verified with NETLENS_FULL_ARCHITECTURES=1 (at full size), and
 * listed as opt-in in docs/converter.md.
 */
const OPT_IN: ReadonlySet<ArchitectureName> = new Set([
  'efficientnet_b5',
  'efficientnet_b6',
  'efficientnet_b7',
]);

describe('built-in architectures beyond the first five: seeded Keras weight files → ONNX → TensorFlow.js', () => {
  for (const c of CASES.filter((c) => FULL || !OPT_IN.has(c.arch))) {
    const size = FULL || c.ciSize === undefined ? ARCHITECTURE_FACTS[c.arch].defaultSize : c.ciSize;
    const top = c.file?.includeTop ?? true;
    it(
      `${c.arch} ${top ? 'with' : 'without'} top at ${size}×${size}: ≤ 1e-4 and the same top-5 as TF.js on ${c.photos.length} photos + 1 random image`,
      async () => {
        const { spec, result, inputs } = await convertAndVerifySeeded({
          ...c,
          build: { ...c.build, inputShape: [size, size, 3] },
        });
        expect(spec.matching).toBe('by-name');
        expect(spec.defaults.name).toBe(`${c.arch.replace(/_/g, '-')}${top ? '' : '-notop'}`);
        expect(spec.detected.includeTop).toBe(top);
        expect(result.summary.parameters).toBe(spec.built.parameters);
        expect(result.manifest.input).toMatchObject({ height: size, width: size, channels: 3 });
        const raw = /^(efficientnet|mobilenet_v3)_/.test(c.arch);
        expect(result.manifest.preprocessing).toMatchObject({
          ...(raw ? RAW : { mode: PREPROCESS[c.arch] }),
          resize: 'nearest',
        });
        if (top) {
          expect(result.manifest.output).toMatchObject({ kind: 'probabilities', size: 1000 });
          // The seeded classifiers are calibrated at full size; smaller inputs give flatter outputs.
          if (size === ARCHITECTURE_FACTS[c.arch].defaultSize)
            for (const probabilities of await runOnnx(result.onnx, inputs.slice(0, 2)))
              expectInformativeSoftmax(probabilities);
        } else {
          expect(spec.built.outputShape).toHaveLength(1);
          expect(result.manifest.output.size).toBe(spec.built.outputShape[0]);
        }
      },
      TIMEOUT,
    );
  }
});

/**
 * A tiny base model for `netlens train` tests: input [n, 6, 6, 3] (pixels / 255), a features variant
 * that is the flattened input (108 values) and a classifier of the same input (a fixed MatMul +
 * Softmax over two classes). Written like the converter writes models: `<name>.onnx`,
 * `<name>.features.onnx` and the manifest with their sha256. Test-only.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxGraphBuilder } from '../../src/convert/onnx/index.js';

export const TINY_SIZE = 6;
const FEATURES = TINY_SIZE * TINY_SIZE * 3;

function features(): Uint8Array {
  const g = new OnnxGraphBuilder({ name: 'tiny-features' });
  g.addInput('input', ['batch', TINY_SIZE, TINY_SIZE, 3]);
  g.addNode('Flatten', ['input'], ['features'], { axis: 1 });
  g.addOutput('features', ['batch', FEATURES]);
  return g.toBytes();
}

function classifier(): Uint8Array {
  const g = new OnnxGraphBuilder({ name: 'tiny-classifier' });
  g.addInput('input', ['batch', TINY_SIZE, TINY_SIZE, 3]);
  g.addNode('Flatten', ['input'], ['flat'], { axis: 1 });
  g.addInitializer(
    'w',
    Float32Array.from({ length: FEATURES * 2 }, (_, i) => ((i % 5) - 2) / 10),
    [FEATURES, 2],
  );
  g.addNode('MatMul', ['flat', 'w'], ['logits']);
  g.addNode('Softmax', ['logits'], ['output'], { axis: -1 });
  g.addOutput('output', ['batch', 2]);
  return g.toBytes();
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Writes the tiny base into `dir` (without a features variant when `withFeatures` is false). */
export function writeTinyBase(dir: string, name = 'tiny-base', withFeatures = true): void {
  mkdirSync(dir, { recursive: true });
  const model = classifier();
  const extractor = features();
  writeFileSync(join(dir, `${name}.onnx`), model);
  if (withFeatures) writeFileSync(join(dir, `${name}.features.onnx`), extractor);
  const manifest = {
    manifestVersion: 1,
    name,
    architecture: 'tiny-test-net',
    file: `${name}.onnx`,
    input: {
      name: 'input',
      layout: 'NHWC',
      height: TINY_SIZE,
      width: TINY_SIZE,
      channels: 3,
      dtype: 'float32',
    },
    output: { name: 'output', kind: 'probabilities', size: 2 },
    ...(withFeatures && {
      features: {
        file: `${name}.features.onnx`,
        output: 'features',
        size: FEATURES,
        sha256: sha256(extractor),
      },
    }),
    preprocessing: { mode: 'scale', factor: 1 / 255, resize: 'bilinear' },
    labels: ['a', 'b'],
    sha256: { model: sha256(model) },
    provenance: {
      source: 'test/support/tiny-base.ts',
      format: 'onnx-builder',
      converter: 'tests',
      convertedAt: new Date(0).toISOString(),
      opset: 17,
      parameters: FEATURES * 2,
    },
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(manifest, null, 2));
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lowerKerasModel } from '../src/convert/keras/convert.js';
import { readModelFile } from '../src/convert/read-model.js';
import { randomInputs, verifyAgainstTfjs } from '../src/convert/verify/verify.js';
import { functionalConfig, seeded } from './convert-harness.js';

// For TF.js layers models the verification reference is loaded by TF.js' own loader from the model's
// files (weights decoded and dequantised by TF.js), so a mistake in readTfjsLayers — which feeds the
// ONNX lowering — shows up as a difference instead of being copied into the reference.
function tfjsModelDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'netlens-tfjs-ref-'));
  const config = functionalConfig(
    [6, 5, 3],
    [
      {
        class_name: 'Conv2D',
        config: { name: 'c', filters: 4, kernel_size: [3, 3], padding: 'same', activation: 'relu' },
      },
      { class_name: 'GlobalAveragePooling2D', config: { name: 'g' } },
      { class_name: 'Dense', config: { name: 'd', units: 3, activation: 'softmax' } },
    ],
  );
  const next = seeded(21);
  const kernel = Uint8Array.from({ length: 3 * 3 * 3 * 4 }, () => Math.floor(next() * 256));
  const floats = (n: number) => new Uint8Array(Float32Array.from({ length: n }, () => next() - 0.5).buffer);
  const shard = new Uint8Array([...kernel, ...floats(4), ...floats(4 * 3), ...floats(3)]);
  const weights = [
    {
      name: 'c/kernel',
      shape: [3, 3, 3, 4],
      dtype: 'float32',
      quantization: { dtype: 'uint8', scale: 0.004, min: -0.5 },
    },
    { name: 'c/bias', shape: [4], dtype: 'float32' },
    { name: 'd/kernel', shape: [4, 3], dtype: 'float32' },
    { name: 'd/bias', shape: [3], dtype: 'float32' },
  ];
  writeFileSync(
    path.join(dir, 'model.json'),
    JSON.stringify({
      modelTopology: { keras_version: '2.4.0', backend: 'tensorflow', model_config: config },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }],
    }),
  );
  writeFileSync(path.join(dir, 'group1-shard1of1.bin'), shard);
  return dir;
}

describe('the TF.js reference of a TF.js layers model reads its files itself', () => {
  it('matches the conversion of the same files', async () => {
    const { spec } = await readModelFile(tfjsModelDir());
    const lowered = lowerKerasModel(spec, { name: 't', output: 'logits' });
    const v = await verifyAgainstTfjs(spec, lowered.builder.toBytes(), randomInputs(2, [6, 5, 3], 3), {
      outputLayer: 'd',
      softmaxStripped: true,
    });
    expect(v.maxAbsDiff).toBeLessThan(1e-6);
  });

  it('catches weights the converter read wrongly (here: one dequantised kernel off by 1%)', async () => {
    const { spec } = await readModelFile(tfjsModelDir());
    const kernel = spec.weights.get('c')?.[0];
    if (!kernel) throw new Error('no kernel');
    kernel.data = kernel.data.map((x) => x * 1.01);
    const lowered = lowerKerasModel(spec, { name: 't', output: 'logits' });
    const v = await verifyAgainstTfjs(spec, lowered.builder.toBytes(), randomInputs(2, [6, 5, 3], 3), {
      outputLayer: 'd',
      softmaxStripped: true,
      failAboveTolerance: false,
    });
    expect(v.maxAbsDiff).toBeGreaterThan(1e-4);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../src/core/manifest.js';
import { convertModelFile } from '../src/convert/convert-file.js';
import { readModelFile } from '../src/convert/read-model.js';
import { randomInputs, verifyAgainstTfjs } from '../src/convert/verify/verify.js';
import { convertFixtures } from './convert-fixtures.js';

// A tf.keras-style full-model .h5: a Functional backbone nested as a layer (its weights stored in the
// backbone's group), then GlobalAveragePooling2D, Dropout and a new Dense head — the fine-tuning layout.
let file: string;
beforeAll(() => {
  file = path.join(convertFixtures(), 'nested_finetuned.h5');
});

describe('fine-tuned model with a nested backbone (.h5 written by h5py in Keras layout)', () => {
  it('reads the nested weights by inner layer name and matches TF.js within 1e-5', async () => {
    const { spec } = await readModelFile(file);
    expect([...spec.weights.keys()].sort()).toEqual(['b_bn1', 'b_conv1', 'b_dw', 'head']);
    const outDir = mkdtempSync(path.join(tmpdir(), 'netlens-nested-'));
    const result = await convertModelFile(file, { outDir, name: 'finetuned', verify: true, verifyRandom: 4 });
    expect(result.verification?.maxAbsDiff).toBeLessThan(1e-5);
    expect(result.featuresVerification?.maxAbsDiff).toBeLessThan(1e-5);
    // 8·27+8 conv, 4·8 BN, 9·8 depthwise, 8·4+4 head
    expect(result.summary.parameters).toBe(224 + 32 + 72 + 36);
    const manifest = parseManifest(JSON.parse(readFileSync(result.written.manifestPath, 'utf8')));
    expect(manifest.output).toEqual({ name: 'output', kind: 'probabilities', size: 4 });
    expect(manifest.features).toMatchObject({ file: 'finetuned.features.onnx', output: 'features', size: 8 });
    expect(manifest.provenance.verification?.samples).toBe(4);
    expect(manifest.preprocessing).toMatchObject({ mode: 'scale', color: 'rgb' });

    // The written files are the ones the manifest hashes.
    const { sha256File } = await import('../src/convert/read-model.js');
    expect(await sha256File(result.written.onnxPath)).toBe(manifest.sha256.model);
    expect(await sha256File(result.written.featuresPath!)).toBe(manifest.features?.sha256);

    // Features are GAP of the backbone: compare with a TF.js model cut at 'gap' explicitly.
    const session = await ort.InferenceSession.create(result.written.featuresPath!);
    const [x] = randomInputs(1, [16, 16, 3], 9, 0, 1);
    const out = await session.run({ input: new ort.Tensor('float32', x!.data, [1, 16, 16, 3]) });
    expect(out.features?.dims).toEqual([1, 8]);
    await session.release();
    const { readFile } = await import('node:fs/promises');
    const check = await verifyAgainstTfjs(
      spec,
      new Uint8Array(await readFile(result.written.featuresPath!)),
      [x!],
      {
        outputLayer: 'gap',
      },
    );
    expect(check.maxAbsDiff).toBeLessThan(1e-5);
  });
});

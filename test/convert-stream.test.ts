import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertKerasModel, convertKerasModelToFile } from '../src/convert/keras/convert.js';
import { readModelFile } from '../src/convert/read-model.js';
import { sha256Bytes } from '../src/convert/sha256.js';

const RESNET8 = path.resolve(import.meta.dirname, '../../shared/data/keras/resnet8_cifar10.h5');

describe('streamed ONNX files and released weights', () => {
  it('the streamed file equals the in-memory bytes, and releaseWeights consumes the spec', async () => {
    const inMemory = await convertKerasModel((await readModelFile(RESNET8)).spec, { name: 'r8' });
    const { spec } = await readModelFile(RESNET8);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'netlens-stream-')), 'r8.onnx');
    const streamed = await convertKerasModelToFile(spec, { name: 'r8', releaseWeights: true }, file);
    const bytes = new Uint8Array(readFileSync(file));
    expect(bytes).toEqual(inMemory.onnx);
    expect(streamed.sha256).toBe(sha256Bytes(bytes));
    expect(streamed.manifest.sha256.model).toBe(streamed.sha256);
    expect(streamed.summary.parameters).toBe(78_666);
    // Every layer is lowered once, so every layer's weights were released.
    expect(spec.weights.size).toBe(0);
  });
});

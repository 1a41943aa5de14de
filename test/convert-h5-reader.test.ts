import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readModelFile } from '../src/convert/read-model.js';
import { convertFixtures } from './convert-fixtures.js';

// The converter's HDF5 reading (h5wasm in a worker, Keras' group layouts) feeds both the lowering and
// the TF.js reference, so --verify cannot see its mistakes. This test reads the same files with h5py
// (Debian's python3-h5py, test/h5py-weights.py) and compares every weight: layer, order, shape and bytes.
const KERAS_DIR = path.resolve(import.meta.dirname, '../../shared/data/keras');
const SCRIPT = path.resolve(import.meta.dirname, 'h5py-weights.py');

type Digests = Record<string, { dims: number[]; sha256: string }[]>;

function h5py(file: string): Digests {
  return JSON.parse(execFileSync('/usr/bin/python3', [SCRIPT, file], { encoding: 'utf8' })) as Digests;
}

async function converter(file: string): Promise<Digests> {
  const { spec } = await readModelFile(file);
  const out: Digests = {};
  for (const [layer, tensors] of spec.weights) {
    out[layer] = tensors.map((t) => ({
      dims: t.dims,
      sha256: createHash('sha256')
        .update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
        .digest('hex'),
    }));
  }
  return out;
}

let fixtures: string;
beforeAll(() => {
  fixtures = convertFixtures();
});

describe('weights read by the converter equal those h5py reads', () => {
  for (const [dir, file] of [
    ['keras', 'fer2013_mini_XCEPTION.hdf5'],
    ['keras', 'resnet8_cifar10.h5'],
    ['keras', 'mnist_cnn_keras3_legacy.h5'],
    ['keras', 'mnist_cnn_keras3.keras'],
    ['fixtures', 'pooled_efficientnet.h5'],
    ['fixtures', 'pooled_efficientnet.keras'],
    ['fixtures', 'pooled_mobilenet_v3.keras'],
  ] as const) {
    it(file, async () => {
      const full = path.join(dir === 'keras' ? KERAS_DIR : fixtures, file);
      const expected = h5py(full);
      expect(Object.keys(expected).length).toBeGreaterThan(2);
      expect(await converter(full)).toEqual(expected);
    });
  }
});

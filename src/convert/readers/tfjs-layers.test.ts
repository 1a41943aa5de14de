import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NetlensError } from '../../core/errors.js';
import { readTfjsLayers } from './tfjs-layers.js';

function modelDir(
  weights: { name: string; shape: number[]; dtype: string; quantization?: object }[],
  shard: Uint8Array,
): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'netlens-tfjs-'));
  const topology = {
    keras_version: '2.2.4',
    model_config: {
      class_name: 'Model',
      config: { name: 'm', layers: [], input_layers: [], output_layers: [] },
    },
  };
  writeFileSync(
    path.join(dir, 'model.json'),
    JSON.stringify({
      modelTopology: topology,
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }],
    }),
  );
  writeFileSync(path.join(dir, 'group1-shard1of1.bin'), shard);
  return dir;
}

describe('readTfjsLayers', () => {
  it('dequantises uint8 and uint16 (q·scale + min), widens float16, reads float32, and orders weights as Keras', async () => {
    const bytes: number[] = [];
    bytes.push(0, 1, 255); // uint8 bias
    const u16 = new Uint8Array(new Uint16Array([0, 1000, 65535]).buffer);
    bytes.push(...u16); // uint16 kernel
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer); // 1, -2, ≈1/3
    bytes.push(...f16);
    bytes.push(...new Uint8Array(new Float32Array([0.25, -8]).buffer));
    const dir = modelDir(
      [
        {
          name: 'dense_1/bias',
          shape: [3],
          dtype: 'float32',
          quantization: { dtype: 'uint8', scale: 0.5, min: -1 },
        },
        {
          name: 'dense_1/kernel',
          shape: [1, 3],
          dtype: 'float32',
          quantization: { dtype: 'uint16', scale: 0.001, min: 2 },
        },
        { name: 'bn/gamma', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
        { name: 'bn/beta', shape: [2], dtype: 'float32' },
      ],
      new Uint8Array(bytes),
    );
    const spec = await readTfjsLayers(path.join(dir, 'model.json'));
    expect(spec.kerasVersion).toBe('2.2.4');
    const dense = spec.weights.get('dense_1')!;
    expect(dense.map((t) => t.name)).toEqual(['dense_1/kernel', 'dense_1/bias']);
    expect(Array.from(dense[1]!.data)).toEqual([-1, -0.5, 126.5]);
    expect(Array.from(dense[0]!.data)).toEqual([2, 3, 2 + 65.535].map(Math.fround));
    const bn = spec.weights.get('bn')!;
    expect(bn.map((t) => t.name)).toEqual(['bn/gamma', 'bn/beta']);
    expect(bn[0]!.data[0]).toBe(1);
    expect(bn[0]!.data[1]).toBe(-2);
    expect(bn[0]!.data[2]).toBeCloseTo(1 / 3, 3);
    expect(Array.from(bn[1]!.data)).toEqual([0.25, -8]);
  });

  it('truncated shards are an error naming the weight', async () => {
    const dir = modelDir([{ name: 'fc/kernel', shape: [4, 4], dtype: 'float32' }], new Uint8Array(10));
    const error = await readTfjsLayers(path.join(dir, 'model.json')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlensError);
    expect((error as NetlensError).message).toMatch(/end before weight 'fc\/kernel'/);
  });
});

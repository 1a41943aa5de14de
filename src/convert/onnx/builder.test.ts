import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { NetlensError } from '../../core/errors.js';
import { OnnxGraphBuilder, floatAttr } from './builder.js';

async function run(
  bytes: Uint8Array,
  feeds: Record<string, ort.Tensor>,
): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('OnnxGraphBuilder', () => {
  it('writes a model onnxruntime loads and computes Gemm + Relu + Transpose correctly', async () => {
    const b = new OnnxGraphBuilder({ name: 'tiny', opset: 17 });
    b.addInput('x', ['batch', 3]);
    b.addInitializer('w', new Float32Array([1, -1, 2, 0.5, 3, -2]), [3, 2]);
    b.addInitializer('bias', new Float32Array([0.25, -10]), [2]);
    b.addNode('Gemm', ['x', 'w', 'bias'], ['g'], { alpha: floatAttr(1), beta: floatAttr(1) });
    b.addNode('Relu', ['g'], ['r']);
    b.addNode('Transpose', ['r'], ['t'], { perm: [1, 0] });
    b.addNode('LeakyRelu', ['g'], ['l'], { alpha: 0.1 });
    b.addOutput('t', [2, 'batch']);
    b.addOutput('l', ['batch', 2]);
    const x = new Float32Array([1, 2, 3, -1, 0, 1]);
    const out = await run(b.toBytes(), { x: new ort.Tensor('float32', x, [2, 3]) });
    // g = x·w + bias, row 0: [1-... ] computed by hand
    const g = [
      [1 * 1 + 2 * 2 + 3 * 3 + 0.25, 1 * -1 + 2 * 0.5 + 3 * -2 - 10],
      [-1 * 1 + 0 + 1 * 3 + 0.25, -1 * -1 + 0 + 1 * -2 - 10],
    ];
    expect(out.t!.dims).toEqual([2, 2]);
    expect(Array.from(out.t!.data as Float32Array)).toEqual([
      Math.max(0, g[0]![0]!),
      Math.max(0, g[1]![0]!),
      Math.max(0, g[0]![1]!),
      Math.max(0, g[1]![1]!),
    ]);
    const l = Array.from(out.l!.data as Float32Array);
    expect(l[1]).toBeCloseTo(g[0]![1]! * 0.1, 5);
    expect(l[0]).toBeCloseTo(g[0]![0]!, 5);
  });

  it('serialises a deferred initializer exactly as the same values held in an array', () => {
    const values = Float32Array.from({ length: 10 }, (_, i) => i / 3 - 1);
    const build = (w: 'array' | 'deferred'): Uint8Array => {
      const b = new OnnxGraphBuilder({ name: 'deferred', opset: 17 });
      b.addInput('x', ['batch', 2]);
      const reused = new Float32Array(4);
      const data =
        w === 'deferred'
          ? {
              length: values.length,
              *pieces() {
                // Pieces of 4, 4, 2 values through one reused buffer.
                for (let i = 0; i < values.length; i += 4) {
                  const piece = reused.subarray(0, Math.min(4, values.length - i));
                  piece.set(values.subarray(i, i + piece.length));
                  yield piece;
                }
              },
            }
          : values;
      b.addInitializer('w', data, [2, 5]);
      b.addNode('MatMul', ['x', 'w'], ['y']);
      b.addOutput('y', ['batch', 5]);
      return b.toBytes();
    };
    expect(Buffer.from(build('deferred')).equals(Buffer.from(build('array')))).toBe(true);
  });

  it('rejects a deferred initializer that produces fewer values than it declares', () => {
    const b = new OnnxGraphBuilder({ name: 'short', opset: 17 });
    b.addInput('x', ['batch', 2]);
    b.addInitializer(
      'w',
      {
        length: 4,
        *pieces() {
          yield new Float32Array(3);
        },
      },
      [2, 2],
    );
    b.addNode('MatMul', ['x', 'w'], ['y']);
    b.addOutput('y', ['batch', 2]);
    expect(() => b.toBytes()).toThrow(/produced 12 of 16 bytes/);
  });

  it('stores int64 initializers (Reshape shape) and string attributes', async () => {
    const b = new OnnxGraphBuilder({ name: 'reshape' });
    b.addInput('x', [1, 2, 3]);
    b.addInitializer('shape', new BigInt64Array([1n, -1n]), [2]);
    b.addNode('Reshape', ['x', 'shape'], ['y']);
    b.addNode('Pad', ['y', b.addInitializer('pads', new BigInt64Array([0n, 1n, 0n, 2n]), [4])], ['p'], {
      mode: 'constant',
    });
    b.addOutput('p', [1, 9]);
    const out = await run(b.toBytes(), {
      x: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4, 5, 6]), [1, 2, 3]),
    });
    expect(Array.from(out.p!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 0, 0]);
    expect(b.opHistogram()).toEqual({ Reshape: 1, Pad: 1 });
  });

  it('rejects dangling inputs, duplicate names and mismatched initializer sizes', () => {
    const b = new OnnxGraphBuilder({ name: 'bad' });
    b.addInput('x', [1]);
    expect(() => b.addNode('Relu', ['nope'], ['y'])).toThrow(/'nope' is not produced/);
    expect(() => b.addInitializer('x', new Float32Array(1), [1])).toThrow(/already used/);
    expect(() => b.addInitializer('w', new Float32Array(3), [2, 2])).toThrow(NetlensError);
    expect(() => new OnnxGraphBuilder({ name: 'old', opset: 9 })).toThrow(/opset/);
    expect(b.uniqueName('x')).toBe('x_1');
    expect(b.uniqueName('z')).toBe('z');
    expect(b.uniqueName('z')).toBe('z_1');
  });
});

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from './builder.js';
import { composeModels, onnxOpset } from './compose.js';

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

/** x [b, 3] → Relu(x · w) → 'features' [b, 2]. */
function base(): Uint8Array {
  const g = new OnnxGraphBuilder({ name: 'base' });
  g.addInput('input', ['batch', 3]);
  g.addInitializer('w', new Float32Array([1, -1, 2, 0.5, -3, 1]), [3, 2]);
  g.addNode('MatMul', ['input', 'w'], ['mm']);
  g.addNode('Relu', ['mm'], ['features']);
  g.addOutput('features', ['batch', 2]);
  return g.toBytes();
}

/** f [b, 2] → Softmax(f · w + bias) → 'output' [b, 3]; its tensor names clash with base's on purpose. */
function head(opset = 17): Uint8Array {
  const g = new OnnxGraphBuilder({ name: 'head', opset });
  g.addInput('x', ['batch', 2]);
  g.addInitializer('w', new Float32Array([0.5, -1, 2, 1, 0, -0.25]), [2, 3]);
  g.addInitializer('bias', new Float32Array([0.1, 0.2, -0.3]), [3]);
  g.addNode('Gemm', ['x', 'w', 'bias'], ['mm']);
  g.addNode('Softmax', ['mm'], ['output'], { axis: -1 });
  g.addOutput('output', ['batch', 3]);
  return g.toBytes();
}

describe('composeModels', () => {
  it('feeds the first model’s output into the second and equals running them one after the other', async () => {
    const input = new ort.Tensor('float32', new Float32Array([1, 2, 3, -1, 0.5, 2]), [2, 3]);
    const features = (await run(base(), { input })).features!;
    const separate = (await run(head(), { x: features })).output!;
    const composed = composeModels(base(), head(), { connect: 'features' });
    const together = await run(composed.bytes, { input });
    expect(Object.keys(together)).toEqual(['head/output']);
    expect(Array.from(together['head/output']!.data as Float32Array)).toEqual(
      Array.from(separate.data as Float32Array),
    );
    expect(onnxOpset(composed.bytes)).toBe(17);
    expect(composed.parameters).toBe(6 + 6 + 3);
  });

  it('refuses what it cannot join, naming the problem', () => {
    expect(() => composeModels(base(), head(), { connect: 'nope' })).toThrow(
      "the first model has no output 'nope' (it has: features)",
    );
    expect(() => composeModels(base(), head(13), { connect: 'features' })).toThrow(
      'cannot compose ONNX models of opset 17 and 13',
    );
    expect(() => composeModels(base(), head(), { connect: 'features', prefix: '' })).toThrow(
      "tensor name 'w' is in both models; use another prefix",
    );
    expect(() => composeModels(new Uint8Array([1, 2, 3]), head(), { connect: 'features' })).toThrow(
      /not an ONNX model/,
    );
  });
});

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from '../convert/onnx/index.js';
import {
  buildSmallCnn,
  maxAbsDiff,
  runModel,
  seededRandom,
  smallCnnInputs,
} from '../../test/support/quantize-graphs.js';
import { foldForQuantization } from './fold.js';
import { convertToFloat16, fromFloat16Bits, toFloat16Array, toFloat16Bits } from './fp16.js';
import { opHistogram } from './graph.js';
import { readOnnxModel } from './read-onnx.js';
import { writeOnnxModel } from './write-onnx.js';

/** onnxruntime's own float32 → float16 Cast, the reference for the bit patterns. */
async function ortCast(values: Float32Array): Promise<Uint16Array> {
  const b = new OnnxGraphBuilder({ name: 'cast' });
  b.addInput('x', [values.length]);
  b.addNode('Cast', ['x'], ['y'], { to: 10 });
  b.addOutput('y', [values.length], 'float16');
  const session = await ort.InferenceSession.create(b.toBytes());
  try {
    const out = await session.run({ x: new ort.Tensor('float32', values, [values.length]) });
    return out.y?.data as Uint16Array;
  } finally {
    await session.release();
  }
}

describe('float16', () => {
  it('converts float32 to float16 bits exactly as onnxruntime Cast does (rounding, subnormals, overflow)', async () => {
    const special = [
      0,
      -0,
      1,
      -2,
      0.1,
      65504,
      65519,
      65520,
      1e6,
      -1e6,
      2 ** -24,
      2 ** -25,
      3 * 2 ** -26,
      2 ** -14,
      1e-8,
      0.333333,
    ];
    const random = seededRandom(5);
    const values = Float32Array.from([
      ...special,
      ...Array.from({ length: 5000 }, () => (random() - 0.5) * 2 ** Math.floor(random() * 40 - 28)),
    ]);
    const reference = await ortCast(values);
    const ours = Uint16Array.from(values, toFloat16Bits);
    const mismatches = [...ours.keys()].filter((i) => ours[i] !== reference[i]).map((i) => values[i]);
    expect(mismatches).toEqual([]);
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(Infinity)).toBe(0x7c00);
    expect(fromFloat16Bits(0x3555)).toBeCloseTo(1 / 3, 3);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(toFloat16Array(Float32Array.of(1e5, -7e4, 3)).saturated).toBe(2);
  });

  it('makes a float16 model with float32 input/output whose probabilities stay within 1e-2 of float32 on the CPU', async () => {
    const source = buildSmallCnn();
    const graph = readOnnxModel(source);
    foldForQuantization(graph);
    const { graph: half, saturated } = convertToFloat16(graph);
    expect(saturated).toBe(0);
    expect(half.inputs).toEqual(graph.inputs);
    expect(half.outputs).toEqual(graph.outputs);
    const ops = opHistogram(half);
    expect(ops['Cast']).toBe(2);
    expect(half.nodes[0]).toMatchObject({ opType: 'Cast', inputs: ['input'], attributes: { to: 10 } });
    expect(half.nodes.at(-1)).toMatchObject({ opType: 'Cast', outputs: ['output'], attributes: { to: 1 } });
    for (const [name, t] of half.initializers) {
      if (!(t.data instanceof BigInt64Array))
        expect([name, t.data.constructor.name]).toEqual([name, 'Uint16Array']);
    }
    const bytes = writeOnnxModel(half);
    const inputs = smallCnnInputs(16, 4);
    const diff = maxAbsDiff(await runModel(source, inputs), await runModel(bytes, inputs));
    expect(diff).toBeLessThan(1e-2);
    expect(diff).toBeGreaterThan(0); // really computed in float16 somewhere
  });
});

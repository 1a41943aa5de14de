import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ONNX_SCHEMA } from '../convert/onnx/schema.js';
import { OnnxGraphBuilder, floatAttr } from '../convert/onnx/index.js';
import { buildSmallCnn, maxAbsDiff, runModel, smallCnnInputs } from '../../test/support/quantize-graphs.js';
import { foldForQuantization, assertTopological } from './fold.js';
import { cloneGraph, opHistogram } from './graph.js';
import { readOnnxModel } from './read-onnx.js';
import { writeOnnxModel } from './write-onnx.js';

describe('readOnnxModel / writeOnnxModel', () => {
  it('round-trips a model byte for byte (nodes, attributes of every kind, initializers, metadata)', () => {
    const bytes = buildSmallCnn();
    const graph = readOnnxModel(bytes);
    expect(graph.opset).toBe(17);
    expect(graph.inputs).toEqual([{ name: 'input', dims: ['batch', 16, 16, 3], dtype: 'float32' }]);
    const bn = graph.nodes.find((n) => n.opType === 'BatchNormalization');
    expect(bn?.attributes['epsilon']).toEqual(floatAttr(Math.fround(1e-3)));
    expect(graph.initializers.get('pad/pads')?.data).toEqual(
      BigInt64Array.from([0, 0, 1, 1, 0, 0, 1, 1], BigInt),
    );
    expect(writeOnnxModel(graph)).toEqual(bytes);
  });

  it('refuses what it cannot read with invalid_model_file', () => {
    expect(() => readOnnxModel(new Uint8Array([1, 2, 3]))).toThrow(/not a readable ONNX model/);
    const b = new OnnxGraphBuilder({ name: 'x' });
    b.addInput('x', [1]);
    b.addNode('Relu', ['x'], ['y']);
    b.addOutput('y', [1]);
    expect(readOnnxModel(b.toBytes()).nodes[0]?.opType).toBe('Relu');
    // The same model with its node moved to another domain is refused, naming the node and domain.
    const type = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType(
      'onnx.ModelProto',
    );
    const model = type.toObject(type.decode(b.toBytes())) as { graph: { node: { domain?: string }[] } };
    (model.graph.node[0] as { domain?: string }).domain = 'com.microsoft';
    const foreign = type.encode(type.fromObject(model)).finish();
    expect(() => readOnnxModel(foreign)).toThrow(/\(Relu\) is in domain 'com.microsoft'/);
  });
});

describe('foldForQuantization', () => {
  it('folds BatchNormalization into Conv, Pad into Conv and Relu + Min(6) into Clip, without changing outputs', async () => {
    const bytes = buildSmallCnn();
    const graph = readOnnxModel(bytes);
    const folded = cloneGraph(graph);
    expect(foldForQuantization(folded)).toEqual({
      batchNormsFolded: 2,
      padsFolded: 1,
      clipsFused: 1,
      poolsMovedBelowConv: 0,
    });
    assertTopological(folded);
    const ops = opHistogram(folded);
    expect(ops['BatchNormalization']).toBeUndefined();
    expect(ops['Pad']).toBeUndefined();
    expect(ops['Min']).toBeUndefined();
    expect(ops['Clip']).toBe(1);
    const conv3 = folded.nodes.find((n) => n.outputs[0] === 'conv3/out');
    expect(conv3?.attributes['pads']).toEqual([1, 1, 1, 1]);
    expect(conv3?.inputs[0]).toBe('relu2');
    // The folded conv writes the BN's output tensor, so the Relu after it reads the same name.
    expect(folded.nodes.find((n) => n.inputs[0] === 'bn1/out')?.opType).toBe('Relu');
    const inputs = smallCnnInputs(6);
    const diff = maxAbsDiff(await runModel(bytes, inputs), await runModel(writeOnnxModel(folded), inputs));
    expect(diff).toBeLessThan(1e-6);
    // Unused initializers (BN statistics, the Pad amounts, the original kernels) are gone.
    expect(folded.initializers.has('bn1/mean')).toBe(false);
    expect(folded.initializers.has('pad/pads')).toBe(false);
  });

  it('folds a zero Pad into an AveragePool that pads nothing itself, counting the padded zeros', async () => {
    const b = new OnnxGraphBuilder({ name: 'pad-avg' });
    b.addInput('x', [1, 2, 4, 4]);
    b.addInitializer('pads', BigInt64Array.from([0, 0, 1, 0, 0, 0, 1, 2], BigInt), [8]);
    b.addNode('Pad', ['x', 'pads'], ['p'], { mode: 'constant' });
    b.addNode('AveragePool', ['p'], ['y'], { kernel_shape: [3, 3], strides: [1, 1] });
    b.addOutput('y', [1, 2, 4, 4]);
    const bytes = b.toBytes();
    const folded = readOnnxModel(bytes);
    expect(foldForQuantization(folded).padsFolded).toBe(1);
    const pool = folded.nodes[0];
    expect(pool?.opType).toBe('AveragePool');
    expect(pool?.attributes).toMatchObject({ pads: [1, 0, 1, 2], count_include_pad: 1 });
    const x = [{ data: Float32Array.from({ length: 32 }, (_, i) => (i * 7) % 5), dims: [1, 2, 4, 4] }];
    expect(maxAbsDiff(await runModel(bytes, x), await runModel(writeOnnxModel(folded), x))).toBeLessThan(
      1e-6,
    );
  });

  it('folds a zero Pad after a Relu into the MaxPool that follows (ResNet50 stem), not after a signed op', async () => {
    const build = (activation: 'Relu' | 'Neg') => {
      const b = new OnnxGraphBuilder({ name: 'pad-max' });
      b.addInput('x', [1, 2, 5, 5]);
      b.addNode(activation, ['x'], ['a']);
      b.addInitializer('pads', BigInt64Array.from([0, 0, 1, 1, 0, 0, 1, 1], BigInt), [8]);
      b.addNode('Pad', ['a', 'pads'], ['p'], { mode: 'constant' });
      b.addNode('MaxPool', ['p'], ['y'], { kernel_shape: [3, 3], strides: [2, 2] });
      b.addOutput('y', null);
      return b.toBytes();
    };
    const bytes = build('Relu');
    const folded = readOnnxModel(bytes);
    expect(foldForQuantization(folded).padsFolded).toBe(1);
    expect(folded.nodes[1]?.attributes['pads']).toEqual([1, 1, 1, 1]);
    const x = [{ data: Float32Array.from({ length: 50 }, (_, i) => ((i * 13) % 7) - 3), dims: [1, 2, 5, 5] }];
    expect(maxAbsDiff(await runModel(bytes, x), await runModel(writeOnnxModel(folded), x))).toBe(0);
    expect(foldForQuantization(readOnnxModel(build('Neg'))).padsFolded).toBe(0);
  });

  it('moves an AveragePool below the 1×1 Conv after it when asked (exact when the pool does not count padding)', async () => {
    const build = (o: { countPad?: number; outChannels?: number; kernel?: number }) => {
      const b = new OnnxGraphBuilder({ name: 'pool-conv' });
      const [cin, cout, k] = [16, o.outChannels ?? 4, o.kernel ?? 1];
      b.addInput('x', [1, cin, 6, 6]);
      b.addNode('AveragePool', ['x'], ['pooled'], {
        kernel_shape: [3, 3],
        strides: [1, 1],
        pads: [1, 1, 1, 1],
        count_include_pad: o.countPad ?? 0,
      });
      const w = Float32Array.from({ length: cout * cin * k * k }, (_, i) => Math.sin(i * 1.7) * 0.5);
      b.addInitializer('w', w, [cout, cin, k, k]);
      b.addInitializer(
        'b',
        Float32Array.from({ length: cout }, (_, i) => i * 0.3 - 0.5),
        [cout],
      );
      const pads = k === 1 ? [0, 0, 0, 0] : [1, 1, 1, 1];
      b.addNode('Conv', ['pooled', 'w', 'b'], ['conv'], { kernel_shape: [k, k], pads });
      b.addNode('Relu', ['conv'], ['y']);
      b.addOutput('y', null);
      return b.toBytes();
    };
    const bytes = build({});
    const folded = readOnnxModel(bytes);
    expect(foldForQuantization(folded, { movePoolsBelowConv: true }).poolsMovedBelowConv).toBe(1);
    assertTopological(folded);
    expect(folded.nodes.map((n) => `${n.opType}:${n.inputs[0]}→${n.outputs[0]}`)).toEqual([
      'Conv:x→conv/before_pool',
      'AveragePool:conv/before_pool→conv',
      'Relu:conv→y',
    ]);
    const x = [
      { data: Float32Array.from({ length: 16 * 36 }, (_, i) => Math.cos(i * 0.37) * 2), dims: [1, 16, 6, 6] },
    ];
    expect(maxAbsDiff(await runModel(bytes, x), await runModel(writeOnnxModel(folded), x))).toBeLessThan(
      1e-5,
    );
    // Off by default; left alone where the result would change (padding counted: the bias would be
    // averaged with zeros) or where it would not pay (no fewer channels, or not a 1×1 Conv).
    expect(foldForQuantization(readOnnxModel(bytes)).poolsMovedBelowConv).toBe(0);
    for (const o of [{ countPad: 1 }, { outChannels: 16 }, { kernel: 3 }])
      expect(
        foldForQuantization(readOnnxModel(build(o)), { movePoolsBelowConv: true }).poolsMovedBelowConv,
      ).toBe(0);
  });

  it('leaves a Pad alone when folding would change results (non-zero value, channel padding, a padded pool)', () => {
    const build = (pads: number[], value: number, poolPads: number[]) => {
      const b = new OnnxGraphBuilder({ name: 'pad-keep' });
      b.addInput('x', [1, 2, 4, 4]);
      b.addInitializer('pads', BigInt64Array.from(pads, BigInt), [8]);
      b.addInitializer('value', Float32Array.of(value), []);
      b.addNode('Pad', ['x', 'pads', 'value'], ['p'], { mode: 'constant' });
      b.addNode('AveragePool', ['p'], ['y'], { kernel_shape: [2, 2], pads: poolPads });
      b.addOutput('y', null);
      return readOnnxModel(b.toBytes());
    };
    expect(foldForQuantization(build([0, 0, 1, 1, 0, 0, 1, 1], 1, [0, 0, 0, 0])).padsFolded).toBe(0);
    expect(foldForQuantization(build([0, 1, 1, 1, 0, 0, 1, 1], 0, [0, 0, 0, 0])).padsFolded).toBe(0);
    expect(foldForQuantization(build([0, 0, 1, 1, 0, 0, 1, 1], 0, [1, 1, 1, 1])).padsFolded).toBe(0);
  });
});

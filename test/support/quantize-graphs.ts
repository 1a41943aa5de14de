/**
 * Small float32 ONNX models for the quantizer's tests, built with the converter's OnnxGraphBuilder from
 * seeded weights. `buildSmallCnn` has one of everything the quantizer treats specially: Transpose of the
 * NHWC input, a first Conv, Conv + BatchNormalization, Pad before a Conv, Relu, Relu + Min(6), MaxPool,
 * Concat, Add, AveragePool with its own padding, GlobalAveragePool, Flatten, Gemm with transB 1 and 0,
 * Softmax.
 */
import * as ort from 'onnxruntime-node';
import { OnnxGraphBuilder, floatAttr } from '../../src/convert/onnx/index.js';
import type { Float32Tensor } from '../../src/core/engine.js';

/** mulberry32: a small deterministic PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function values(random: () => number, n: number, scale: number, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale + offset);
}

export const SMALL_CNN = { size: 16, classes: 5 } as const;

export function buildSmallCnn(seed = 1): Uint8Array {
  const r = seededRandom(seed);
  const g = new OnnxGraphBuilder({ name: 'small-cnn' });
  const conv = (
    name: string,
    input: string,
    cin: number,
    cout: number,
    k: number,
    attrs: Record<string, number[]>,
  ): string => {
    g.addInitializer(`${name}/w`, values(r, cout * cin * k * k, Math.sqrt(2 / (cin * k * k))), [
      cout,
      cin,
      k,
      k,
    ]);
    g.addInitializer(`${name}/b`, values(r, cout, 0.1), [cout]);
    return g.addNode('Conv', [input, `${name}/w`, `${name}/b`], [`${name}/out`], {
      kernel_shape: [k, k],
      ...attrs,
    });
  };
  const bn = (name: string, input: string, c: number): string => {
    g.addInitializer(`${name}/gamma`, values(r, c, 0.3, 1), [c]);
    g.addInitializer(`${name}/beta`, values(r, c, 0.2), [c]);
    g.addInitializer(`${name}/mean`, values(r, c, 0.2), [c]);
    g.addInitializer(`${name}/var`, values(r, c, 0.4, 1), [c]);
    return g.addNode(
      'BatchNormalization',
      [input, `${name}/gamma`, `${name}/beta`, `${name}/mean`, `${name}/var`],
      [`${name}/out`],
      { epsilon: floatAttr(1e-3) },
    );
  };
  g.addInput('input', ['batch', 16, 16, 3]);
  g.addNode('Transpose', ['input'], ['nchw'], { perm: [0, 3, 1, 2] });
  const c1 = g.addNode(
    'Relu',
    [bn('bn1', conv('conv1', 'nchw', 3, 8, 3, { pads: [1, 1, 1, 1] }), 8)],
    ['relu1'],
  );
  const c2 = g.addNode('Relu', [bn('bn2', conv('conv2', c1, 8, 8, 3, { pads: [1, 1, 1, 1] }), 8)], ['relu2']);
  const pooled = g.addNode('MaxPool', [c2], ['maxpool'], { kernel_shape: [2, 2], strides: [2, 2] });
  g.addInitializer('pad/pads', BigInt64Array.from([0, 0, 1, 1, 0, 0, 1, 1], BigInt), [8]);
  const padded = g.addNode('Pad', [c2, 'pad/pads'], ['padded'], { mode: 'constant' });
  const c3 = g.addNode('Relu', [conv('conv3', padded, 8, 8, 3, { strides: [2, 2] })], ['relu3']);
  const cat = g.addNode('Concat', [pooled, c3], ['concat'], { axis: 1 });
  g.addInitializer('six', Float32Array.of(6), []);
  const relu4 = g.addNode('Relu', [conv('conv4', cat, 16, 16, 1, {})], ['relu4']);
  const c4 = g.addNode('Min', [relu4, 'six'], ['relu6']);
  const sum = g.addNode(
    'Add',
    [conv('conv5', c4, 16, 16, 1, {}), conv('conv6', cat, 16, 16, 1, {})],
    ['sum'],
  );
  const act = g.addNode('Relu', [sum], ['sum_relu']);
  const avg = g.addNode('AveragePool', [act], ['avgpool'], {
    kernel_shape: [3, 3],
    strides: [1, 1],
    pads: [1, 1, 1, 1],
    count_include_pad: 0,
  });
  const gap = g.addNode('GlobalAveragePool', [avg], ['gap']);
  const flat = g.addNode('Flatten', [gap], ['flat'], { axis: 1 });
  g.addInitializer('fc1/w', values(r, 10 * 16, 0.5), [10, 16]);
  g.addInitializer('fc1/b', values(r, 10, 0.1), [10]);
  const fc1 = g.addNode('Gemm', [flat, 'fc1/w', 'fc1/b'], ['fc1'], { transB: 1 });
  const h = g.addNode('Relu', [fc1], ['fc1_relu']);
  g.addInitializer('fc2/w', values(r, 10 * 5, 3), [10, 5]);
  g.addInitializer('fc2/b', values(r, 5, 0.1), [5]);
  const logits = g.addNode('Gemm', [h, 'fc2/w', 'fc2/b'], ['logits']);
  g.addNode('Softmax', [logits], ['output'], { axis: 1 });
  g.addOutput('output', ['batch', 5]);
  return g.toBytes();
}

/** `count` NHWC inputs with smooth random structure (not white noise), values in [0, 1]. */
export function smallCnnInputs(count: number, seed = 7): Float32Tensor[] {
  const r = seededRandom(seed);
  const { size } = SMALL_CNN;
  return Array.from({ length: count }, () => {
    const a = Array.from({ length: 9 }, () => r());
    const data = new Float32Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          const v =
            0.5 + 0.3 * Math.sin((x * (a[c] as number) + y * (a[c + 3] as number)) * 0.8) + 0.2 * (r() - 0.5);
          data[(y * size + x) * 3 + c] = Math.min(1, Math.max(0, v * (a[c + 6] as number) + 0.1));
        }
      }
    }
    return { data, dims: [1, size, size, 3] };
  });
}

/** Runs a model on onnxruntime-node (CPU, all optimisations) and returns the first output per input. */
export async function runModel(model: Uint8Array, inputs: readonly Float32Tensor[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  try {
    const out: Float32Array[] = [];
    for (const x of inputs) {
      const result = await session.run({
        [session.inputNames[0] ?? '']: new ort.Tensor('float32', x.data, [...x.dims]),
      });
      out.push(result[session.outputNames[0] ?? '']?.data as Float32Array);
    }
    return out;
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let max = 0;
  for (const [i, x] of a.entries()) {
    for (let j = 0; j < x.length; j++)
      max = Math.max(max, Math.abs((x[j] as number) - ((b[i] as Float32Array)[j] as number)));
  }
  return max;
}

/**
 * A CNN with one InceptionV3-style pooling branch (3×3 AveragePool without counting its padding, then a
 * 1×1 Conv to fewer channels and a Relu, or a Clip(0, 6)): the site of the `pool-after-conv` speed
 * rewrite. `deadBias` goes to one of that Conv's output channels: far below 0, the channel is always 0
 * after the activation (no effect on the float32 model), but once the pool moves below the Conv its signed
 * output shares one uint8 range with the other channels, which are then rounded away — unless that range
 * starts at the floor below which the pool and the Relu ignore values (pool-floor.ts; Relu only).
 */
export function buildPoolBranchCnn(deadBias = 0, activation: 'Relu' | 'Clip' = 'Relu', seed = 3): Uint8Array {
  const r = seededRandom(seed);
  const g = new OnnxGraphBuilder({ name: 'pool-branch-cnn' });
  const conv = (name: string, input: string, cin: number, cout: number, k: number, bias?: Float32Array) => {
    g.addInitializer(`${name}/w`, values(r, cout * cin * k * k, Math.sqrt(2 / (cin * k * k))), [
      cout,
      cin,
      k,
      k,
    ]);
    g.addInitializer(`${name}/b`, bias ?? values(r, cout, 0.1), [cout]);
    const pads = k === 1 ? [0, 0, 0, 0] : [1, 1, 1, 1];
    return g.addNode('Conv', [input, `${name}/w`, `${name}/b`], [`${name}/out`], {
      kernel_shape: [k, k],
      pads,
    });
  };
  g.addInput('input', ['batch', 16, 16, 3]);
  g.addNode('Transpose', ['input'], ['nchw'], { perm: [0, 3, 1, 2] });
  const c1 = g.addNode('Relu', [conv('conv1', 'nchw', 3, 16, 3)], ['relu1']);
  const c2 = g.addNode('Relu', [conv('conv2', c1, 16, 16, 3)], ['relu2']);
  const pooled = g.addNode('AveragePool', [c2], ['avgpool'], {
    kernel_shape: [3, 3],
    strides: [1, 1],
    pads: [1, 1, 1, 1],
    count_include_pad: 0,
  });
  const bias = values(r, 8, 0.1);
  bias[7] = deadBias;
  g.addInitializer('clip/lo', Float32Array.of(0), []);
  g.addInitializer('clip/hi', Float32Array.of(6), []);
  const c3 =
    activation === 'Relu'
      ? g.addNode('Relu', [conv('conv3', pooled, 16, 8, 1, bias)], ['relu3'])
      : g.addNode('Clip', [conv('conv3', pooled, 16, 8, 1, bias), 'clip/lo', 'clip/hi'], ['relu3']);
  const gap = g.addNode('GlobalAveragePool', [c3], ['gap']);
  const flat = g.addNode('Flatten', [gap], ['flat'], { axis: 1 });
  g.addInitializer('fc/w', values(r, 8 * 5, 3), [8, 5]);
  g.addInitializer('fc/b', values(r, 5, 0.1), [5]);
  const logits = g.addNode('Gemm', [flat, 'fc/w', 'fc/b'], ['logits']);
  g.addNode('Softmax', [logits], ['output'], { axis: 1 });
  g.addOutput('output', ['batch', 5]);
  return g.toBytes();
}

/**
 * Accuracy-aware fallback on a real small model: the small CNN with one Conv made deliberately sensitive
 * to int8 (one weight per output channel 100× its neighbour, so per-channel int8 rounds the rest coarsely).
 */
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildPoolBranchCnn,
  buildSmallCnn,
  maxAbsDiff,
  smallCnnInputs,
} from '../../test/support/quantize-graphs.js';
import type { RewriteMode } from '../core/manifest.js';
import { createNodeEngine } from '../runtime/node/engine.js';
import { integerKernels, optimisedOpCounts } from './fusion.js';
import { quantizeToAgreement, type Int8VariantOptions } from './int8-variant.js';
import { readOnnxModel } from './read-onnx.js';
import { writeOnnxModel } from './write-onnx.js';

const engine = createNodeEngine({ warmUp: false, threads: 1 });
const SPEC = { output: { name: 'output', kind: 'probabilities' as const, size: 5 } };
const SENSITIVE = 'conv5/out';

function sensitiveCnn(): Uint8Array {
  const graph = readOnnxModel(buildSmallCnn());
  const w = graph.initializers.get('conv5/w');
  if (!(w?.data instanceof Float32Array)) throw new Error('conv5/w missing');
  const perChannel = w.data.length / (w.dims[0] as number);
  for (let o = 0; o < (w.dims[0] as number); o++) {
    const i = o * perChannel;
    w.data[i] = Math.sign(w.data[i] as number) * 100 * Math.abs(w.data[i + 1] as number);
  }
  return writeOnnxModel(graph);
}

const OPTIONS: Int8VariantOptions = {
  method: 'percentile',
  perChannel: true,
  biasCorrection: true,
  keepFirstConvFloat: true,
  keepFloat: [],
  minAgreement: 0.99,
  maxFloatNodes: 4,
  calibrationVariants: 1,
  engine,
};

async function run(model: Uint8Array, level: 'all' | 'disabled'): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: level });
  try {
    const out: Float32Array[] = [];
    for (const x of smallCnnInputs(8, 5)) {
      const r = await session.run({ input: new ort.Tensor('float32', x.data, [...x.dims]) });
      out.push(r['output']?.data as Float32Array);
    }
    return out;
  } finally {
    await session.release();
  }
}

describe('quantizeToAgreement (small CNN, one Conv made sensitive)', () => {
  const source = sensitiveCnn();
  const calibration = smallCnnInputs(24, 1);
  const validation = smallCnnInputs(96, 11);
  let made: Awaited<ReturnType<typeof quantizeToAgreement>>;
  let plain: Awaited<ReturnType<typeof quantizeToAgreement>>;

  beforeAll(async () => {
    made = await quantizeToAgreement(source, calibration, validation, SPEC, OPTIONS);
    plain = await quantizeToAgreement(source, calibration, validation, SPEC, { ...OPTIONS, minAgreement: 0 });
  }, 120_000);

  it('keeps exactly the sensitive Conv float32 and stops once the target is met', () => {
    const m = made.mixedPrecision;
    expect(m.before.top1).toBeLessThan(0.99);
    expect(m.float32Nodes.map((n) => [n.node, n.opType])).toEqual([[SENSITIVE, 'Conv']]);
    expect(m.float32Nodes[0]?.klGain).toBeGreaterThan(0);
    expect(m).toMatchObject({ target: 0.99, reached: true, rounds: 1 });
    expect(m.after.top1).toBeGreaterThanOrEqual(0.99);
    expect(m.after.kl).toBeLessThan(m.before.kl / 2);
    // One all-int8 measurement, one per candidate (the integer ops of the plan), one fallback round.
    const candidates = Object.values(plain.result.plan.graph.nodes).filter(
      (n) => !['Transpose', 'Flatten', 'MaxPool', 'Identity'].includes(n.opType),
    ).length;
    const floatInPlan = Object.values(plain.result.plan.keptFloat).flat().length;
    expect(m.trials).toBe(1 + (candidates - floatInPlan) + 1);
    expect(made.warnings).toEqual([]);
  });

  it('without a target measures the all-int8 variant only', () => {
    const m = plain.mixedPrecision;
    expect(m).toMatchObject({ target: 0, reached: true, rounds: 0, trials: 1, float32Nodes: [] });
    expect(m.after).toEqual(m.before);
    expect(m.before).toEqual(made.mixedPrecision.before);
    expect(plain.result.plan.keptFloat['Conv']).not.toContain(SENSITIVE);
  });

  it('the Conv kept float32 stays float32 in onnxruntime (its weights are never quantized, not even by onnxruntime)', async () => {
    const graph = made.result.graph;
    const conv = graph.nodes.find((n) => n.name === SENSITIVE);
    expect(conv?.inputs[1]).toBe('conv5/w');
    // Its input is float here (conv4's Clip stays float32 when only a float op reads it), so no guard:
    const input = graph.nodes.find((n) => n.outputs.includes(conv?.inputs[0] ?? ''));
    expect(input?.opType).toBe('Clip');
    const bytes = writeOnnxModel(graph);
    expect(maxAbsDiff(await run(bytes, 'all'), await run(bytes, 'disabled'))).toBeLessThan(1e-6);
    // conv5 is not fused, nor conv4, whose output only conv5's float Clip reads (plan.ts quantizes a tensor
    // when an integer op reads it).
    const fused = integerKernels(await optimisedOpCounts(bytes));
    const allInt8 = integerKernels(await optimisedOpCounts(writeOnnxModel(plain.result.graph)));
    expect(fused['QLinearConv']).toBe((allInt8['QLinearConv'] ?? 0) - 2);
  }, 60_000);

  it('a Conv kept float32 that reads a dequantized tensor gets its own per-channel DequantizeLinear, so onnxruntime keeps it float32', async () => {
    // conv6 reads the Concat's output, which integer ops read too: dequantized for them and for conv6.
    const r = await quantizeToAgreement(source, calibration, validation, SPEC, {
      ...OPTIONS,
      minAgreement: 0,
      keepFloat: ['conv6/out'],
    });
    const graph = r.result.graph;
    const conv = graph.nodes.find((n) => n.name === 'conv6/out');
    expect(conv?.inputs[1]).toBe('conv6/w');
    const dq = graph.nodes.find((n) => n.outputs.includes(conv?.inputs[0] ?? ''));
    expect(dq?.opType).toBe('DequantizeLinear');
    expect(dq?.attributes['axis']).toBe(1);
    expect(graph.initializers.get(dq?.inputs[1] ?? '')?.dims).toEqual([16]);
    // Without it onnxruntime's WeightBiasQuantization would quantize conv6's weights per tensor: the
    // optimised model would then differ from the unoptimised one by more than rounding.
    const bytes = writeOnnxModel(graph);
    expect(maxAbsDiff(await run(bytes, 'all'), await run(bytes, 'disabled'))).toBeLessThan(1e-6);
    const allInt8 = integerKernels(await optimisedOpCounts(writeOnnxModel(plain.result.graph)));
    expect(integerKernels(await optimisedOpCounts(bytes))['QLinearConv']).toBe(
      (allInt8['QLinearConv'] ?? 0) - 1,
    );
  }, 60_000);
});

describe('quantizeToAgreement speed rewrites (a CNN with one pooling branch)', () => {
  const calibration = smallCnnInputs(24, 1);
  const validation = smallCnnInputs(96, 11);
  const quantize = (model: Uint8Array, mode: RewriteMode, options: Partial<Int8VariantOptions> = {}) =>
    quantizeToAgreement(model, calibration, validation, SPEC, {
      ...OPTIONS,
      rewrites: { 'pool-after-conv': mode },
      ...options,
    });

  it('keeps pool-after-conv when the variant with it reaches the validation target, in one build', async () => {
    // The dead channel's −1000 is below the floor the pool and the Relu ignore (pool-floor.ts): the moved
    // Conv's range starts there instead, and the variant keeps its agreement.
    const model = buildPoolBranchCnn(-1000, 'Relu');
    const tried = await quantize(model, 'try');
    expect(tried.result.fold.poolsMovedBelowConv).toBe(1);
    const [record] = tried.speedRewrites;
    expect(record).toMatchObject({ name: 'pool-after-conv', mode: 'try', sites: 1, applied: true });
    expect(record?.validation?.top1).toBeGreaterThanOrEqual(0.99);
    expect(record?.validation).toEqual({
      ...tried.mixedPrecision.after,
      reached: true,
      float32Nodes: tried.mixedPrecision.float32Nodes.length,
    });
    // The pool now reads the Conv's (dequantized) output, whose range starts near 0, not at −1000.
    const pool = tried.result.graph.nodes.find((n) => n.opType === 'AveragePool');
    const dq = tried.result.graph.nodes.find((n) => n.outputs.includes(pool?.inputs[0] ?? ''));
    expect(dq?.opType).toBe('DequantizeLinear');
    const moved = [...tried.result.ranges].find(([t]) => t.endsWith('/before_pool'));
    expect(moved?.[1].min).toBeLessThan(0);
    expect(moved?.[1].min).toBeGreaterThan(-1);
    const off = await quantize(model, 'off');
    expect(off.result.fold.poolsMovedBelowConv).toBe(0);
    expect(off.speedRewrites).toEqual([{ name: 'pool-after-conv', mode: 'off', sites: 1, applied: false }]);
  }, 120_000);

  it('rejects pool-after-conv when the variant with it falls short, and writes the one without it', async () => {
    // With Clip(0, 6) after the Conv no floor is known, so the moved Conv's range reaches −1000.
    const model = buildPoolBranchCnn(-1000, 'Clip');
    const tried = await quantize(model, 'try');
    const [record] = tried.speedRewrites;
    expect(record).toMatchObject({ name: 'pool-after-conv', mode: 'try', sites: 1, applied: false });
    expect(record?.validation?.top1).toBeLessThan(0.9);
    expect(record?.validation?.reached).toBe(false);
    expect(tried.result.fold.poolsMovedBelowConv).toBe(0);
    expect(tried.mixedPrecision.after.top1).toBeGreaterThanOrEqual(0.99);
    // The rejected variant's collapse warning is not the written variant's.
    expect(tried.warnings).toEqual([]);
    // Forced on, it is applied whatever the agreement (and its collapse is reported).
    const forced = await quantize(model, 'on');
    expect(forced.result.fold.poolsMovedBelowConv).toBe(1);
    expect(forced.speedRewrites[0]).toMatchObject({
      mode: 'on',
      applied: true,
      validation: record?.validation,
    });
    expect(forced.warnings.join(' ')).toMatch(/collapsed/);
  }, 120_000);

  it('does not try a rewrite the graph has no site for', async () => {
    const r = await quantize(sensitiveCnn(), 'try', { minAgreement: 0 });
    expect(r.speedRewrites).toEqual([{ name: 'pool-after-conv', mode: 'try', sites: 0, applied: false }]);
    expect(r.mixedPrecision.trials).toBe(1);
  }, 60_000);
});

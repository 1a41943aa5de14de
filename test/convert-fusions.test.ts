import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { optimisedGraphStats, type GraphStats } from '../src/convert/graph-stats.js';
import { lowerKerasModel } from '../src/convert/keras/convert.js';
import { functionalConfig, randomWeights, type TestLayer } from './convert-harness.js';

// What onnxruntime (CPU, level 'all', the server's setting) makes of each lowering: activations after a
// convolution or Dense must be folded into it (ConvActivationFusion / GemmActivationFusion), BatchNorm
// into the Conv, ZeroPadding into the Conv's pads, x·sigmoid(x) into QuickGelu, the erf gelu into Gelu.
// 16 channels let the NCHWc layout apply, as in real networks.
const conv = (activation: unknown, extra: Record<string, unknown> = {}): TestLayer => ({
  class_name: 'Conv2D',
  config: { name: 'c', filters: 16, kernel_size: [3, 3], padding: 'same', activation, ...extra },
});

async function stats(layers: TestLayer[], shape = [8, 8, 16]): Promise<GraphStats> {
  const config = functionalConfig(shape, layers);
  const spec = {
    config,
    weights: await randomWeights(config),
    format: 'keras-h5-model' as const,
    source: 't',
  };
  const lowered = lowerKerasModel(spec, {
    name: 't',
    cutAt: String(layers[layers.length - 1]?.config['name']),
  });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'netlens-fusion-')), 't.onnx');
  writeFileSync(file, lowered.builder.toBytes());
  return optimisedGraphStats(file, { opset: 17, ops: lowered.builder.opHistogram() });
}

describe('onnxruntime fuses what the converter writes', () => {
  for (const [activation, fused] of [
    ['relu', 'Conv+Relu'],
    ['relu6', 'Conv+Clip'],
    ['sigmoid', 'Conv+Sigmoid'],
    ['tanh', 'Conv+Tanh'],
    ['hard_sigmoid', 'Conv+HardSigmoid'],
    ['leaky_relu', 'Conv+LeakyRelu'],
  ] as const) {
    it(`Conv2D(activation='${activation}') → ${fused}`, async () => {
      const s = await stats([conv(activation)]);
      expect(s.fused[fused]).toBe(1);
      expect(s.unfusedActivations).toEqual({});
    });
  }

  it('Conv2D → BatchNormalization → ReLU(6.) (MobileNetV2): one Conv+Clip, no BN, no Min', async () => {
    const s = await stats([
      conv('linear', { use_bias: false }),
      { class_name: 'BatchNormalization', config: { name: 'bn', axis: -1, epsilon: 1e-3 } },
      { class_name: 'ReLU', config: { name: 'r', max_value: 6 } },
    ]);
    expect(s.fused).toEqual({ 'Conv+Clip': 1 });
    expect(s.optimizedOps['BatchNormalization']).toBeUndefined();
    expect(s.optimizedOps['Min']).toBeUndefined();
  });

  it('ZeroPadding2D before a valid Conv is folded into its pads', async () => {
    const s = await stats([
      {
        class_name: 'ZeroPadding2D',
        config: {
          name: 'pad',
          padding: [
            [0, 1],
            [0, 1],
          ],
        },
      },
      conv('relu', { padding: 'valid', strides: [2, 2] }),
    ]);
    expect(s.optimizedOps['Pad']).toBeUndefined();
    expect(s.fused['Conv+Relu']).toBe(1);
  });

  it('swish after a Conv becomes QuickGelu; exact gelu becomes Gelu', async () => {
    expect((await stats([conv('swish')])).fused['QuickGelu']).toBe(1);
    const gelu = await stats([conv('gelu')]);
    expect(gelu.fused['Gelu']).toBe(1);
    expect(gelu.optimizedOps['Erf']).toBeUndefined();
  });

  it('a residual block, Conv → Add(shortcut) → ReLU (ResNet): the Add and the ReLU go into the Conv', async () => {
    const s = await stats([
      { ...conv('relu'), config: { ...conv('relu').config, name: 'c0' } },
      conv('linear'),
      { class_name: 'Add', config: { name: 'add' }, inputs: ['c', 'c0'] },
      { class_name: 'Activation', config: { name: 'out', activation: 'relu' } },
      { ...conv('relu'), config: { ...conv('relu').config, name: 'c2' } },
    ]);
    expect(s.optimizedOps['Add']).toBeUndefined();
    expect(s.fused).toEqual({ 'Conv+Relu': 3 });
    expect(s.unfusedActivations).toEqual({});
  });

  it('Dense with relu → Gemm+Relu', async () => {
    const s = await stats(
      [
        { class_name: 'Flatten', config: { name: 'f' } },
        { class_name: 'Dense', config: { name: 'd', units: 8, activation: 'relu' } },
      ],
      [4, 4, 2],
    );
    expect(s.fused['Gemm+Relu']).toBe(1);
  });
});

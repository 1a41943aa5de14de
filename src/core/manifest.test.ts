import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifest.js';

const OLD = {
  manifestVersion: 1,
  name: 'old-model',
  architecture: 'custom',
  file: 'old-model.onnx',
  input: { name: 'input', layout: 'NHWC', height: 8, width: 8, channels: 3, dtype: 'float32' },
  output: { name: 'output', kind: 'probabilities', size: 2 },
  preprocessing: { mode: 'scale', factor: 1 / 255, offset: 0, resize: 'bilinear' },
  labels: ['a', 'b'],
  sha256: { model: 'a'.repeat(64) },
  provenance: {
    source: 'old.h5',
    format: 'keras-h5-model',
    converter: 'netlens-keras2onnx 0.1.0',
    convertedAt: '2026-11-01T00:00:00.000Z',
    opset: 17,
    parameters: 10,
    verification: { reference: 'tfjs-layers 4.22.0 (wasm)', maxAbsDiff: 1e-6, top1Agreement: 1, samples: 3 },
  },
};

describe('manifest provenance', () => {
  it('manifests written before graph statistics and per-model differences still parse', () => {
    const m = parseManifest(OLD);
    expect(m.provenance.graph).toBeUndefined();
    expect(m.provenance.verification?.modelMaxAbsDiff).toBeUndefined();
  });

  it('graph statistics and per-model verification differences parse', () => {
    const m = parseManifest({
      ...OLD,
      provenance: {
        ...OLD.provenance,
        verification: { ...OLD.provenance.verification, modelMaxAbsDiff: 1e-6, featuresMaxAbsDiff: 5e-7 },
        graph: {
          opset: 17,
          nodes: 165,
          ops: { Conv: 52, Clip: 35 },
          optimizedNodes: 60,
          optimizedOps: { NchwcConv: 52 },
          fused: { 'Conv+Clip': 35 },
          unfusedActivations: {},
          optimizer: 'onnxruntime-node 1.30.0, cpu, graphOptimizationLevel all',
        },
      },
    });
    expect(m.provenance.graph?.fused).toEqual({ 'Conv+Clip': 35 });
  });

  it('a malformed graph entry names the field', () => {
    expect(() =>
      parseManifest({ ...OLD, provenance: { ...OLD.provenance, graph: { opset: 17, nodes: -1 } } }),
    ).toThrow(/provenance\.graph\.nodes/);
  });
});

const base = {
  manifestVersion: 1,
  name: 'm',
  architecture: 'custom',
  file: 'm.onnx',
  input: { name: 'input', layout: 'NHWC', height: 2, width: 2, channels: 3, dtype: 'float32' },
  output: { name: 'probs', kind: 'probabilities', size: 2 },
  preprocessing: { mode: 'tf', resize: 'bilinear' },
  labels: ['cat', 'dog'],
  sha256: { model: 'a'.repeat(64) },
  provenance: { source: 's', format: 'f', converter: 'c', convertedAt: 't', opset: 17, parameters: 1 },
};

describe('the manifest card', () => {
  it('is optional (manifests written before it still parse)', () => {
    expect(parseManifest(base).card).toBeUndefined();
  });

  it('keeps the summary, class meanings, intended use, limitations and origin', () => {
    const card = {
      summary: 'Cats and dogs.',
      classes: { cat: 'a cat', dog: 'a dog' },
      intendedUse: 'Demos.',
      limitations: 'Only two classes.',
      origin: 'tests',
    };
    expect(parseManifest({ ...base, card }).card).toEqual(card);
  });

  it('refuses class meanings for labels the model does not have, naming them and the labels', () => {
    expect(() => parseManifest({ ...base, card: { classes: { cat: 'a cat', dgo: 'typo' } } })).toThrow(
      "manifest: card.classes describes 'dgo', not among the labels (cat, dog)",
    );
    expect(() => parseManifest({ ...base, card: { summary: 3 } })).toThrow(/card\.summary/);
  });
});

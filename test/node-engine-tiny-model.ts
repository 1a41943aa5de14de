/**
 * A tiny ONNX classifier for real-runtime tests, built with the converter's OnnxGraphBuilder, and a plain
 * JavaScript reference of the same arithmetic (the "hand computation" the engine's numbers are checked
 * against). Network: NHWC [n, H, W, 3] → Transpose → Conv 3×3 (2 filters, pad 1, bias) → Relu →
 * GlobalAveragePool → Flatten → MatMul [2, K] + bias → Softmax.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxGraphBuilder } from '../src/convert/onnx/index.js';

export interface TinyModel {
  bytes: Uint8Array;
  size: number;
  classes: number;
  /** Reference probabilities [n, classes] for an NHWC input, computed in float64 by plain loops. */
  reference(data: Float32Array, n: number): number[][];
}

export function buildTinyModel(size = 8, classes = 3, softmax = true): TinyModel {
  const filters = 2;
  // OIHW conv weights and biases chosen to be easy to reason about but not symmetric.
  const w = Float32Array.from({ length: filters * 3 * 9 }, (_, i) => ((i % 7) - 3) / 10);
  const b = new Float32Array([0.05, -0.1]);
  const dense = Float32Array.from({ length: filters * classes }, (_, i) => ((i * 5) % 11) / 4 - 1.1);
  const denseBias = Float32Array.from({ length: classes }, (_, i) => i * 0.1);
  const g = new OnnxGraphBuilder({ name: 'tiny' });
  g.addInput('input', ['batch', size, size, 3]);
  g.addNode('Transpose', ['input'], ['nchw'], { perm: [0, 3, 1, 2] });
  g.addInitializer('w', w, [filters, 3, 3, 3]);
  g.addInitializer('b', b, [filters]);
  g.addNode('Conv', ['nchw', 'w', 'b'], ['conv'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] });
  g.addNode('Relu', ['conv'], ['relu']);
  g.addNode('GlobalAveragePool', ['relu'], ['pool']);
  g.addNode('Flatten', ['pool'], ['flat']);
  g.addInitializer('dense', dense, [filters, classes]);
  g.addInitializer('dense_bias', denseBias, [classes]);
  g.addNode('MatMul', ['flat', 'dense'], ['mm']);
  g.addNode('Add', ['mm', 'dense_bias'], [softmax ? 'logits' : 'output']);
  if (softmax) g.addNode('Softmax', ['logits'], ['output'], { axis: 1 });
  g.addOutput('output', ['batch', classes]);

  function reference(data: Float32Array, n: number): number[][] {
    const out: number[][] = [];
    const at = (img: number, y: number, x: number, c: number): number =>
      y < 0 || x < 0 || y >= size || x >= size ? 0 : data[((img * size + y) * size + x) * 3 + c]!;
    for (let img = 0; img < n; img++) {
      const pooled: number[] = [];
      for (let f = 0; f < filters; f++) {
        let sum = 0;
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            let v = b[f]!;
            for (let c = 0; c < 3; c++) {
              for (let ky = 0; ky < 3; ky++) {
                for (let kx = 0; kx < 3; kx++)
                  v += w[((f * 3 + c) * 3 + ky) * 3 + kx]! * at(img, y + ky - 1, x + kx - 1, c);
              }
            }
            sum += Math.max(0, v);
          }
        }
        pooled.push(sum / (size * size));
      }
      const logits = Array.from({ length: classes }, (_, k) =>
        pooled.reduce((acc, p, f) => acc + p * dense[f * classes + k]!, denseBias[k]!),
      );
      if (!softmax) {
        out.push(logits);
        continue;
      }
      const max = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - max));
      const s = e.reduce((a, v) => a + v, 0);
      out.push(e.map((v) => v / s));
    }
    return out;
  }
  return { bytes: g.toBytes(), size, classes, reference };
}

export const TINY_LABELS = ['Red', 'Green', 'Blue', 'Other'];

/**
 * Writes `<name>.onnx` + `<name>.json` (a valid manifest with sha256) into `dir`, like the converter
 * does, so the model-directory source, the CLI and the bench can load it.
 */
export function writeTinyModel(
  dir: string,
  name = 'tiny',
  options: { size?: number; classes?: number; logits?: boolean } = {},
): TinyModel {
  const model = buildTinyModel(options.size ?? 8, options.classes ?? 3, !(options.logits ?? false));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.onnx`), model.bytes);
  const manifest = {
    manifestVersion: 1,
    name,
    architecture: 'tiny-test-net',
    description: 'A tiny test network (conv + pool + dense) built by the tests',
    file: `${name}.onnx`,
    input: {
      name: 'input',
      layout: 'NHWC',
      height: model.size,
      width: model.size,
      channels: 3,
      dtype: 'float32',
    },
    output: { name: 'output', kind: options.logits ? 'logits' : 'probabilities', size: model.classes },
    preprocessing: { mode: 'scale', factor: 1 / 255, resize: 'bilinear' },
    labels: TINY_LABELS.slice(0, model.classes),
    sha256: { model: createHash('sha256').update(model.bytes).digest('hex') },
    provenance: {
      source: 'test/node-engine-tiny-model.ts',
      format: 'onnx-builder',
      converter: 'tests',
      convertedAt: new Date(0).toISOString(),
      opset: 17,
      parameters: 2 * 27 + 2 + 2 * model.classes + model.classes,
    },
  };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(manifest, null, 2));
  return model;
}

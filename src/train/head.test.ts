import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { headOnnx } from './export.js';
import { balancedWeights, trainingBackend } from './fit.js';
import { type HeadConfig, type LabelledMatrix, predictHead, standardiser, trainHead } from './head.js';
import { seededRandom } from './random.js';

/** Three Gaussian blobs in 6 dimensions (seeded), one per class. */
function blobs(perClass: number, seed: number): LabelledMatrix {
  const random = seededRandom(seed);
  const cols = 6;
  const data: number[] = [];
  const labels: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < perClass; i++) {
      for (let d = 0; d < cols; d++) data.push((d === c ? 3 : 0) + (random() - 0.5) * 2 + d * 10);
      labels.push(c);
    }
  }
  return { data: Float32Array.from(data), rows: labels.length, cols, labels: Int32Array.from(labels) };
}

const config: HeadConfig = {
  classes: 3,
  hidden: 0,
  epochs: 40,
  learningRate: 0.05,
  l2: 1e-3,
  batchSize: 8,
  seed: 1,
  patience: 5,
};

const accuracy = (p: Float32Array, labels: Int32Array) =>
  labels.reduce((hits, label, r) => {
    const row = Array.from(p.subarray(r * 3, r * 3 + 3));
    return hits + (row.indexOf(Math.max(...row)) === label ? 1 : 0);
  }, 0) / labels.length;

describe('the trained head', () => {
  beforeAll(async () => {
    await trainingBackend();
  });

  it('learns separable classes and keeps the epoch with the lowest validation loss', async () => {
    const trained = await trainHead(blobs(30, 1), blobs(10, 2), config);
    expect(accuracy(predictHead(trained.head, blobs(20, 3)), blobs(20, 3).labels)).toBeGreaterThan(0.95);
    const losses = trained.history.map((s) => s.valLoss!);
    expect(trained.history[trained.bestEpoch - 1]!.valLoss).toBe(Math.min(...losses));
    expect(trained.history.length).toBeLessThanOrEqual(
      Math.min(config.epochs, trained.bestEpoch + config.patience),
    );
  });

  it('is bit-reproducible from its seed (and another seed gives other weights)', async () => {
    const [a, b, c] = [
      await trainHead(blobs(30, 1), blobs(10, 2), { ...config, hidden: 4 }),
      await trainHead(blobs(30, 1), blobs(10, 2), { ...config, hidden: 4 }),
      await trainHead(blobs(30, 1), blobs(10, 2), { ...config, hidden: 4, seed: 2 }),
    ];
    const bits = (h: typeof a) =>
      h.head.layers.flatMap((l) => [
        ...new Uint32Array(l.weights.buffer.slice(0)),
        ...new Uint32Array(l.bias.buffer.slice(0)),
      ]);
    expect(bits(a)).toEqual(bits(b));
    expect(a.history).toEqual(b.history);
    expect(bits(c)).not.toEqual(bits(a));
  });

  it('exported as ONNX gives TensorFlow.js’ probabilities within 1e-6 (softmax regression and one hidden layer)', async () => {
    const rows = blobs(5, 9);
    for (const hidden of [0, 5]) {
      const { head } = await trainHead(blobs(30, 1), blobs(10, 2), { ...config, hidden, epochs: 5 });
      const session = await ort.InferenceSession.create(headOnnx(head, 17));
      const out = await session.run({
        features: new ort.Tensor('float32', rows.data, [rows.rows, rows.cols]),
      });
      await session.release();
      const onnx = out.probabilities!.data as Float32Array;
      const tfjs = predictHead(head, rows);
      expect(onnx.length).toBe(tfjs.length);
      onnx.forEach((p, i) => expect(Math.abs(p - tfjs[i]!)).toBeLessThanOrEqual(1e-6));
    }
  });

  it('standardises each column (a constant column gets scale 1) and weighs classes like scikit-learn', () => {
    const { mean, scale } = standardiser({ data: Float32Array.from([1, 5, 3, 5]), rows: 2, cols: 2 });
    expect(Array.from(mean)).toEqual([2, 5]);
    expect(Array.from(scale)).toEqual([1, 1]);
    expect(Array.from(balancedWeights(Int32Array.from([0, 0, 0, 1]), 2))).toEqual([Math.fround(4 / 6), 2]);
  });
});

import { describe, expect, it } from 'vitest';
import { NetlensError } from './errors.js';
import { formatKeras, predictions, probabilities, softmax, topK, validateTop } from './decode.js';
import type { Manifest } from './manifest.js';

const labels = ['cat', 'dog', 'bird', 'fish'].map((label, i) => ({ id: `n0${i}`, label }));
const spec = (kind: 'logits' | 'probabilities'): Pick<Manifest, 'output' | 'labels'> => ({
  output: { name: 'y', kind, size: 4 },
  labels,
});

describe('softmax', () => {
  it('matches exp(x)/sum(exp(x)) computed by hand', () => {
    const p = softmax([1, 2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    expect(Array.from(p)).toEqual(e.map((v) => Math.fround(v / s)));
  });
  it('is stable for huge logits and sums to 1', () => {
    const p = softmax([1000, 1001, 999, -1e30]);
    expect(Array.from(p).every(Number.isFinite)).toBe(true);
    expect(p[1]! / p[0]!).toBeCloseTo(Math.E, 5);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(p[3]).toBe(0);
  });
  it('shares the mass between infinite logits and rejects NaN', () => {
    expect(Array.from(softmax([Infinity, 0, Infinity]))).toEqual([0.5, 0, 0.5]);
    expect(() => softmax([0, NaN])).toThrow(NetlensError);
  });
});

describe('topK', () => {
  it('ranks highest first and breaks ties by lower index', () => {
    expect(topK([0.1, 0.3, 0.3, 0.2, 0.3], 3)).toEqual([
      { index: 1, score: 0.3 },
      { index: 2, score: 0.3 },
      { index: 4, score: 0.3 },
    ]);
    expect(topK([0.5, 0.5, 0.5], 3).map((e) => e.index)).toEqual([0, 1, 2]);
    expect(topK([0.1, 0.9, 0.4], 1)).toEqual([{ index: 1, score: 0.9 }]);
  });
  it('agrees with a full stable sort on random data', () => {
    const values = Array.from({ length: 1000 }, (_, i) => Math.round(Math.sin(i * 7.3) * 20) / 20);
    const expected = values
      .map((score, index) => ({ index, score }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, 10);
    expect(topK(values, 10)).toEqual(expected);
  });
  it('validates top with the valid range in the message', () => {
    for (const bad of [0, 5, 1.5, -1, Number.NaN]) {
      expect(() => validateTop(bad, 4)).toThrow(/from 1 to 4/);
    }
    try {
      validateTop(9, 4);
    } catch (e) {
      expect(e).toBeInstanceOf(NetlensError);
      expect((e as NetlensError).code).toBe('invalid_argument');
    }
    expect(validateTop(4, 4)).toBe(4);
  });
});

describe('predictions / probabilities (one output row)', () => {
  it('applies softmax to logits only, with labels', () => {
    const first = predictions(new Float32Array([0, 0, Math.log(3), 0]), spec('logits'), 2);
    expect(first[0]).toEqual({ index: 2, id: 'n02', label: 'bird', score: Math.fround(3 / 6) });
    expect(first[1]).toMatchObject({ index: 0, label: 'cat', score: Math.fround(1 / 6) });
    expect(predictions(new Float32Array([5, 1, 1, 1]), spec('logits'), 1)[0]!.label).toBe('cat');
    const probs = predictions(new Float32Array([0.1, 0.2, 0.3, 0.4]), spec('probabilities'), 4);
    expect(probs.map((p) => p.score)).toEqual([0.4, 0.3, 0.2, 0.1].map(Math.fround));
  });
  it('leaves probabilities untouched and rejects wrong row lengths, bad top and feature models', () => {
    const row = new Float32Array([0.1, 0.2, 0.3, 0.4]);
    expect(probabilities(row, spec('probabilities'))).toBe(row);
    expect(() => predictions(new Float32Array(3), spec('logits'), 1)).toThrow(/3 values .* 4 classes/);
    expect(() => predictions(row, spec('logits'), 7)).toThrow(/from 1 to 4/);
    expect(() => predictions(row, { output: { name: 'f', kind: 'features', size: 4 }, labels }, 1)).toThrow(
      /features/,
    );
  });
});

describe('formatKeras', () => {
  it('prints like the Keras tutorial', () => {
    expect(
      formatKeras([
        { index: 162, id: 'n02088364', label: 'beagle', score: 0.94484 },
        { index: 167, id: 'n02089973', label: 'English_foxhound', score: 0.0123 },
      ]),
    ).toBe('1. beagle: 94.48%\n2. English_foxhound: 1.23%');
  });
});

import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifest.js';

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

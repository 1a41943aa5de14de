import { describe, expect, it } from 'vitest';
import type { DecodedImage } from '../core/image-types.js';
import { measureAgreement } from './agreement.js';
import { MAX_VARIANTS, VARIANTS, applyVariant, variants } from './augment.js';

function image(width: number, height: number, channels: 1 | 3 | 4): DecodedImage {
  const data = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37) % 256);
  return { width, height, channels, data, format: 'png', decoder: 'test' };
}

describe('held-out variants', () => {
  it('are deterministic, distinct and keep the image valid for every channel count', () => {
    expect(variants(1).map((v) => v.name)).toEqual(['original']);
    expect(variants(MAX_VARIANTS)).toHaveLength(16);
    expect(new Set(VARIANTS.map((v) => v.name)).size).toBe(VARIANTS.length);
    expect(() => variants(0)).toThrow(/from 1 to 16/);
    expect(() => variants(17)).toThrow(/from 1 to 16/);
    for (const channels of [1, 3, 4] as const) {
      const src = image(20, 10, channels);
      const outputs = VARIANTS.map((v) => applyVariant(src, v));
      for (const out of outputs) expect(out.data.length).toBe(out.width * out.height * channels);
      expect(applyVariant(src, VARIANTS[0]!)).toBe(src);
      const distinct = new Set(
        outputs.map((o) => `${o.width}x${o.height}:${Buffer.from(o.data).toString('base64')}`),
      );
      // On a grey image 'grey', 'saturated' and 'cool' (no green shift) repeat the original.
      expect(distinct.size).toBe(channels === 1 ? VARIANTS.length - 3 : VARIANTS.length);
      expect(applyVariant(src, VARIANTS[0]!).data).toEqual(src.data);
    }
  });

  it('flip mirrors rows, crops cut the stated fraction, grey equalises R, G and B, alpha is untouched', () => {
    const src = image(4, 2, 4);
    const flipped = applyVariant(src, { name: 'f', flip: true });
    expect(Array.from(flipped.data.subarray(0, 4))).toEqual(Array.from(src.data.subarray(12, 16)));
    expect(applyVariant(flipped, { name: 'f', flip: true }).data).toEqual(src.data);
    const crop = applyVariant(image(100, 50, 3), { name: 'c', crop: [0.25, 0.2, 0.5, 0.6] });
    expect([crop.width, crop.height]).toEqual([50, 30]);
    const grey = applyVariant(src, { name: 'g', saturation: 0 });
    for (let i = 0; i < grey.data.length; i += 4) {
      expect(grey.data[i]).toBe(grey.data[i + 1]);
      expect(grey.data[i + 1]).toBe(grey.data[i + 2]);
      expect(grey.data[i + 3]).toBe(src.data[i + 3]);
    }
  });
});

describe('measureAgreement', () => {
  it('counts top-1 agreement, top-5 overlap and identity, and |Δp|', () => {
    const ref = [Float32Array.of(0.7, 0.1, 0.1, 0.05, 0.03, 0.02), Float32Array.of(0.1, 0.5, 0.4, 0, 0, 0)];
    const cand = [Float32Array.of(0.6, 0.2, 0.1, 0.05, 0.03, 0.02), Float32Array.of(0.1, 0.4, 0.5, 0, 0, 0)];
    const a = measureAgreement(ref, cand);
    expect(a.samples).toBe(2);
    expect(a.top1).toBe(0.5);
    expect(a.disagreements).toEqual([1]);
    expect(a.maxDisagreementMargin).toBeCloseTo(0.1, 6);
    expect(a.top5Overlap).toBe(1);
    expect(a.top5Identical).toBe(0.5);
    expect(a.maxAbsDiff).toBeCloseTo(0.1, 6);
    expect(a.meanAbsDiff).toBeCloseTo((0.1 + 0.1 + 0.1 + 0.1) / 12, 6);
    // Two classes: top-k is top-2.
    expect(measureAgreement([Float32Array.of(0.6, 0.4)], [Float32Array.of(0.4, 0.6)]).top5Overlap).toBe(1);
    expect(() => measureAgreement([], [])).toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { flipHorizontal, pixelExtractor } from './extractors.js';

describe('flipHorizontal', () => {
  it('mirrors each row of an NHWC tensor, keeping the channels of a pixel together', () => {
    // [1, 2, 3, 2]: two rows of three two-channel pixels.
    const data = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const flipped = flipHorizontal({ data, dims: [1, 2, 3, 2] });
    expect(Array.from(flipped.data)).toEqual([5, 6, 3, 4, 1, 2, 11, 12, 9, 10, 7, 8]);
    expect(flipped.dims).toEqual([1, 2, 3, 2]);
  });
});

describe('pixelExtractor', () => {
  it('is the image downscaled (PIL BOX) to size × size RGB in 0…1, mirrored for the flip variant', async () => {
    const extractor = pixelExtractor(2);
    // A 4×2 grey image: left half 0, right half 255.
    const decoded = {
      width: 4,
      height: 2,
      channels: 1 as const,
      format: 'png' as const,
      decoder: 'test',
      data: Uint8Array.from([0, 0, 255, 255, 0, 0, 255, 255]),
    };
    const [plain] = await extractor.run([extractor.input({ decoded }, 'plain')]);
    const [flip] = await extractor.run([extractor.input({ decoded }, 'flip')]);
    expect(Array.from(plain!)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(flip!)).toEqual([1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
    expect(extractor.size).toBe(12);
  });
});

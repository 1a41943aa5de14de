import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegComponents } from './jpeg-components.js';

const base = () =>
  sharp({ create: { width: 9, height: 7, channels: 3, background: { r: 200, g: 30, b: 90 } } });

describe('jpegComponents (the SOF header the decoder checks for CMYK instead of a metadata pass)', () => {
  it('reads 3 for RGB (baseline and progressive), 1 for grey, 4 for CMYK — as libvips sees them', async () => {
    const cases: [Buffer, number][] = [
      [await base().jpeg().toBuffer(), 3],
      [await base().jpeg({ progressive: true }).toBuffer(), 3],
      [await base().toColourspace('b-w').jpeg().toBuffer(), 1],
      [await base().toColourspace('cmyk').jpeg().toBuffer(), 4],
    ];
    for (const [bytes, components] of cases) {
      expect(jpegComponents(bytes)).toBe(components);
      const space = (await sharp(bytes).metadata()).space;
      expect(space === 'cmyk').toBe(components === 4);
    }
  });

  it('is undefined when no frame header comes before the data ends', async () => {
    const bytes = await base().jpeg().toBuffer();
    expect(jpegComponents(bytes.subarray(0, 20))).toBeUndefined();
    expect(jpegComponents(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]))).toBeUndefined();
    expect(jpegComponents(Uint8Array.from([0xff, 0xd8, 0x00, 0x00, 0x00]))).toBeUndefined();
  });
});

import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { NetlensError } from '../../core/errors.js';
import { toGrayscale, toRgb } from '../../core/image/index.js';
import { type PngUnfilter, wasmPngUnfilter } from '../../core/image/wasm-png-unfilter.js';
import type { DecodedImage } from '../../core/image-types.js';
import { createSharpImageDecoder } from './decode-image.js';
import { PNG_FAST_MAX_BYTES, decodePngFast } from './png-decode.js';
import { RESAMPLE_WASM_URL } from './resample-wasm.js';

const COLOUR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

interface Spec {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  pixels: Uint8Array;
  /** One PNG filter type (0–4) per row. */
  filters: number[];
}

/** The PNG specification's filters (§9.2), written from the spec: the encoder side of the kernel. */
function filterRows({ width, height, channels, pixels, filters }: Spec): Uint8Array {
  const stride = width * channels;
  const out = new Uint8Array(height * (stride + 1));
  const at = (y: number, i: number) => (y < 0 || i < 0 ? 0 : pixels[y * stride + i]!);
  for (let y = 0; y < height; y++) {
    const type = filters[y]!;
    out[y * (stride + 1)] = type;
    for (let i = 0; i < stride; i++) {
      const [x, a, b, c] = [at(y, i), at(y, i - channels), at(y - 1, i), at(y - 1, i - channels)];
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predicted = [0, a, b, (a + b) >> 1, paeth][type]!;
      out[y * (stride + 1) + 1 + i] = (x - predicted) & 255;
    }
  }
  return out;
}

function chunk(type: string, data: Uint8Array = new Uint8Array()): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.byteLength);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

function ihdr(width: number, height: number, depth: number, colourType: number, interlace = 0): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.set([depth, colourType, 0, 0, interlace], 8);
  return chunk('IHDR', data);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG of `spec`: its zlib stream split into `parts` IDAT chunks, `before`/`after` chunks around them. */
function encode(
  spec: Spec,
  options: { level?: number; parts?: number; before?: Buffer[]; after?: Buffer[] } = {},
) {
  const zlib = deflateSync(filterRows(spec), { level: options.level ?? 6 });
  const parts = Math.max(1, Math.min(options.parts ?? 1, zlib.byteLength));
  const size = Math.ceil(zlib.byteLength / parts);
  const idat = Array.from({ length: Math.ceil(zlib.byteLength / size) }, (_, i) =>
    chunk('IDAT', zlib.subarray(i * size, (i + 1) * size)),
  );
  return Buffer.concat([
    SIGNATURE,
    ihdr(spec.width, spec.height, 8, COLOUR_TYPE[spec.channels]),
    ...(options.before ?? []),
    ...idat,
    ...(options.after ?? []),
    chunk('IEND'),
  ]);
}

const textChunk = chunk('tEXt', Buffer.from('Comment\0netlens', 'latin1'));
const gammaChunk = chunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f]));

const specArb: fc.Arbitrary<Spec> = fc
  .record({
    width: fc.integer({ min: 1, max: 37 }),
    height: fc.integer({ min: 1, max: 19 }),
    channels: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
    smooth: fc.boolean(),
    seed: fc.integer(),
  })
  .chain(({ width, height, channels, smooth, seed }) =>
    fc.array(fc.integer({ min: 0, max: 4 }), { minLength: height, maxLength: height }).map((filters) => {
      // Random samples, or a smooth gradient with noise (where the predictors matter, as in photos).
      let state = seed >>> 0 || 1;
      const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 24;
      const pixels = new Uint8Array(width * height * channels);
      for (let i = 0; i < pixels.length; i++) {
        const x = (i / channels) % width;
        const y = Math.floor(i / channels / width);
        pixels[i] = smooth ? (x * 7 + y * 5 + (next() & 7)) & 255 : next();
      }
      return { width, height, channels, pixels, filters };
    }),
  );

let unfilter: PngUnfilter;
const viaSharp = createSharpImageDecoder();
let viaFastPath: ReturnType<typeof createSharpImageDecoder>;
beforeAll(async () => {
  unfilter = wasmPngUnfilter(await WebAssembly.compile(readFileSync(RESAMPLE_WASM_URL)));
  viaFastPath = createSharpImageDecoder({ pngUnfilter: unfilter });
});

/**
 * The same image to the pipeline: the RGB and L that core derives (Pillow's convert('RGB') / ('L')).
 * Grey PNGs come from the fast path as L or LA, as Pillow opens them; sharp widens them to RGB(A).
 */
const same = (a: DecodedImage, b: DecodedImage) =>
  a.width === b.width &&
  a.height === b.height &&
  Buffer.from(toRgb(a).data).equals(Buffer.from(toRgb(b).data)) &&
  Buffer.from(toGrayscale(a).data).equals(Buffer.from(toGrayscale(b).data));

describe('decodePngFast', () => {
  it('gives back the encoded samples, as sharp decodes them, for every filter, colour type and chunk layout', async () => {
    await fc.assert(
      fc.asyncProperty(
        specArb,
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        async (spec, level, parts, extras) => {
          const png = encode(spec, {
            level,
            parts,
            ...(extras && { before: [gammaChunk], after: [textChunk] }),
          });
          const fast = decodePngFast(png, 1e8, unfilter);
          expect(fast, 'taken by the fast path').toBeDefined();
          expect(fast!.channels).toBe(spec.channels);
          expect(Buffer.from(fast!.data).equals(Buffer.from(spec.pixels))).toBe(true);
          expect(same(fast!, await viaSharp(png))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("takes sharp's own PNGs (libpng's adaptive filters) and gives sharp's pixels", async () => {
    const base = sharp({ create: { width: 97, height: 61, channels: 4, background: '#3a7' } })
      .composite([{ input: Buffer.from('<svg><circle cx="40" cy="30" r="25" fill="#c21"/></svg>') }])
      .blur(3);
    for (const [name, pipeline] of [
      ['rgba', base.clone()],
      ['rgb', base.clone().removeAlpha()],
      ['grey', base.clone().removeAlpha().toColourspace('b-w')],
    ] as const) {
      const png = await pipeline.png({ adaptiveFiltering: true, palette: false }).toBuffer();
      const fast = decodePngFast(png, 1e8, unfilter);
      expect(fast, name).toBeDefined();
      expect(same(fast!, await viaSharp(png)), name).toBe(true);
    }
  });

  const spec: Spec = {
    width: 5,
    height: 4,
    channels: 3,
    pixels: Uint8Array.from({ length: 60 }, (_, i) => (i * 37) & 255),
    filters: [0, 1, 4, 3],
  };
  const good = encode(spec);
  const idatAt = good.indexOf('IDAT') - 4;
  const flip = (at: number) => {
    const copy = Buffer.from(good);
    copy[at]! ^= 0x10;
    return copy;
  };
  const withIdat = (zlib: Uint8Array) =>
    Buffer.concat([SIGNATURE, ihdr(5, 4, 8, 2), chunk('IDAT', zlib), chunk('IEND')]);
  const zlib = deflateSync(filterRows(spec));
  const other: Record<string, Buffer> = {
    '16-bit samples': Buffer.concat([
      SIGNATURE,
      ihdr(5, 4, 16, 2),
      chunk('IDAT', deflateSync(Buffer.alloc(4 * 31))),
      chunk('IEND'),
    ]),
    interlaced: Buffer.concat([SIGNATURE, ihdr(5, 4, 8, 2, 1), chunk('IDAT', zlib), chunk('IEND')]),
    palette: Buffer.concat([
      SIGNATURE,
      ihdr(5, 4, 8, 3),
      chunk('PLTE', Buffer.alloc(6, 200)),
      chunk('IDAT', deflateSync(Buffer.alloc(4 * 6))),
      chunk('IEND'),
    ]),
    'a tRNS chunk': encode(spec, { before: [chunk('tRNS', Buffer.from([0, 1, 0, 2, 0, 3]))] }),
    'a damaged IDAT (its data)': flip(idatAt + 10),
    'a damaged IDAT CRC (the field alone)': flip(idatAt + 8 + good.readUInt32BE(idatAt)),
    'a damaged IHDR CRC (the field alone)': flip(8 + 8 + 13),
    'IHDR compression method 1': Buffer.concat([
      SIGNATURE,
      chunk('IHDR', Buffer.from([0, 0, 0, 5, 0, 0, 0, 4, 8, 2, 1, 0, 0])),
      chunk('IDAT', zlib),
      chunk('IEND'),
    ]),
    // One pixel wide: the rows are as long as 8-bit ones, but the samples are 4-bit (0xf → 0xff).
    '4-bit grey samples': Buffer.concat([
      SIGNATURE,
      ihdr(1, 4, 4, 0),
      chunk('IDAT', deflateSync(Buffer.from([0, 0xf0, 0, 0x70, 0, 0x10, 0, 0x0f]))),
      chunk('IEND'),
    ]),
    'a chunk name with the reserved bit set (aBcd)': encode(spec, {
      before: [chunk('aBcd', Buffer.from([1]))],
    }),
    'a chunk name in lower case (abcd)': encode(spec, { before: [chunk('abcd', Buffer.from([1]))] }),
    'a chunk name with digits (a1B2)': encode(spec, { before: [chunk('a1B2', Buffer.from([1]))] }),
    'a chunk name starting with a digit (1ABC)': encode(spec, { before: [chunk('1ABC', Buffer.from([1]))] }),
    'a chunk name with zero bytes': encode(spec, { before: [chunk('a\0\0\0', Buffer.from([1]))] }),
    'an empty PLTE': encode(spec, { before: [chunk('PLTE')] }),
    'a suggested palette (PLTE) in an RGB file': encode(spec, {
      before: [chunk('PLTE', Buffer.alloc(6, 200))],
    }),
    'more chunks than the fast path reads': encode(spec, {
      before: Array.from({ length: 9000 }, () => chunk('tIME', Buffer.from([7, 234, 11, 30, 18, 0, 0]))),
    }),
    'bytes after IEND': Buffer.concat([good, Buffer.from('junk')]),
    'no IEND': good.subarray(0, good.byteLength - 12),
    'a truncated zlib stream': withIdat(zlib.subarray(0, zlib.byteLength - 6)),
    'data after the zlib stream': withIdat(Buffer.concat([zlib, Buffer.from([1, 2, 3])])),
    'too few rows': withIdat(deflateSync(filterRows({ ...spec, height: 3 }))),
    'too many rows': withIdat(
      deflateSync(filterRows({ ...spec, height: 5, pixels: new Uint8Array(75), filters: [0, 0, 0, 0, 0] })),
    ),
    'filter type 5': withIdat(deflateSync(Buffer.from(filterRows(spec)).fill(5, 16, 17))),
    'IDAT chunks split by another chunk': Buffer.concat([
      SIGNATURE,
      ihdr(5, 4, 8, 2),
      chunk('IDAT', zlib.subarray(0, 10)),
      textChunk,
      chunk('IDAT', zlib.subarray(10)),
      chunk('IEND'),
    ]),
    'an unknown critical chunk': encode(spec, { before: [chunk('ABCD', Buffer.from([1]))] }),
  };

  it('decodes the valid reference file (the cases below are variations of it), and says it did', async () => {
    expect(decodePngFast(good, 1e8, unfilter)?.data).toEqual(spec.pixels);
    // The variations below go to sharp: their results, decoder name included, equal sharp's.
    expect((await viaFastPath(good)).decoder).toBe('png-fast');
  });

  it.each(Object.entries(other))('leaves a PNG with %s to sharp, whose result it keeps', async (_, png) => {
    expect(decodePngFast(png, 1e8, unfilter)).toBeUndefined();
    const outcome = (p: Promise<DecodedImage>) =>
      p.then(
        (image) => ({ image: { ...image, data: Buffer.from(toRgb(image).data) } }),
        (e: unknown) => ({ error: e instanceof NetlensError ? e.code : String(e) }),
      );
    expect(await outcome(viaFastPath(png))).toEqual(await outcome(viaSharp(png)));
  });

  it("leaves images over the pixel limit or the fast path's byte limit to sharp (which refuses or decodes them)", async () => {
    expect(decodePngFast(good, 19, unfilter)).toBeUndefined();
    await expect(viaFastPath(good, { maxPixels: 19 })).rejects.toMatchObject({ code: 'image_too_large' });
    // 4 rows of 1 + 15 bytes: 64 filtered bytes.
    expect(decodePngFast(good, 1e8, unfilter, 64)?.data).toEqual(spec.pixels);
    expect(decodePngFast(good, 1e8, unfilter, 63)).toBeUndefined();
    expect(PNG_FAST_MAX_BYTES).toBe(16 * 1024 * 1024);
  });

  it("returns images that own their buffers (not the kernel's memory, not Node's shared pool)", () => {
    const small = decodePngFast(good, 1e8, unfilter)!;
    const copy = Buffer.from(small.data);
    decodePngFast(encode({ ...spec, pixels: spec.pixels.map((v) => 255 - v) }), 1e8, unfilter);
    expect(Buffer.from(small.data).equals(copy)).toBe(true);
    expect([small.data.byteOffset, small.data.buffer.byteLength]).toEqual([0, 60]);
    // A photo-sized image is written over zlib's output: its buffer holds the filtered rows and one byte.
    const width = 300;
    const height = 200;
    const pixels = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 7) & 255);
    const big = decodePngFast(
      encode({ width, height, channels: 3, pixels, filters: Array(height).fill(4) }),
      1e8,
      unfilter,
    )!;
    expect(Buffer.from(big.data).equals(Buffer.from(pixels))).toBe(true);
    expect([big.data.byteOffset, big.data.buffer.byteLength]).toEqual([0, height * (width * 3 + 1) + 1]);
  });
});

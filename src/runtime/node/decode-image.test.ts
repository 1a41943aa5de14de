import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { NetlensError } from '../../core/errors.js';
import { toRgb } from '../../core/image/index.js';
import { sniffImageFormat } from '../../core/image-format.js';
import type { DecodedImage } from '../../core/image-types.js';
import { wasmPngUnfilter } from '../../core/image/wasm-png-unfilter.js';
import { DEFAULT_MAX_PIXELS, createSharpImageDecoder, decodeImage } from './decode-image.js';
import { decodePngFast } from './png-decode.js';
import { RESAMPLE_WASM_URL } from './resample-wasm.js';

const photos = join(import.meta.dirname, '../../../../shared/data/images');
const photoFiles = readdirSync(photos).sort();
const jemma = readFileSync(join(photos, 'jemma.png'));

async function codeOf(promise: Promise<unknown>): Promise<NetlensError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetlensError);
  return error as NetlensError;
}

const rgbHash = (image: DecodedImage): string =>
  createHash('sha256')
    .update(toRgb(image).data as Uint8Array)
    .digest('hex');

/** Pillow's `convert('RGB').tobytes()` of encoded bytes. */
function pillowRgb(bytes: Uint8Array): Buffer {
  return execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      `import sys, io; from PIL import Image
sys.stdout.buffer.write(Image.open(io.BytesIO(sys.stdin.buffer.read())).convert('RGB').tobytes())`,
    ],
    { input: bytes, maxBuffer: 1 << 28 },
  );
}

/** sha256 of Pillow's `Image.open(f).convert('RGB').tobytes()` — what Keras' load_img sees. */
function pillowHashes(files: string[]): Map<string, string> {
  const out = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      `import sys, hashlib
from PIL import Image
for f in sys.argv[1:]:
    print(hashlib.sha256(Image.open(f).convert('RGB').tobytes()).hexdigest())`,
      ...files,
    ],
    { encoding: 'utf8' },
  );
  const hashes = out.trim().split('\n');
  return new Map(files.map((f, i) => [f, hashes[i]!]));
}

describe('sharp ImageDecoder', () => {
  it('decodes every shared photo to exactly the RGB that Pillow decodes, with and without the PNG fast path', async () => {
    const files = photoFiles.map((f) => join(photos, f));
    const pillow = pillowHashes(files);
    const unfilter = wasmPngUnfilter(await WebAssembly.compile(readFileSync(RESAMPLE_WASM_URL)));
    const withFastPath = createSharpImageDecoder({ pngUnfilter: unfilter });
    let fast = 0;
    for (const file of files) {
      const bytes = readFileSync(file);
      const plain = await decodeImage(bytes);
      const viaFast = await withFastPath(bytes);
      expect(rgbHash(plain), file).toBe(pillow.get(file));
      expect(rgbHash(viaFast), `${file}, fast path`).toBe(pillow.get(file));
      expect([plain.decoder, viaFast.decoder], file).toEqual([
        'sharp',
        file.endsWith('.png') ? 'png-fast' : 'sharp',
      ]);
      if (decodePngFast(bytes, DEFAULT_MAX_PIXELS, unfilter) !== undefined) fast++;
    }
    // The shared PNGs (six of the eight photos) all take the fast path.
    expect(fast).toBe(files.filter((f) => f.endsWith('.png')).length);
    expect(fast).toBeGreaterThan(0);
  });

  describe('formats (sniffed from magic bytes)', () => {
    const encoded: Record<string, Buffer> = {};
    let reference: { data: Buffer; width: number; height: number };
    beforeAll(async () => {
      const base = sharp(jemma).resize(64, 48);
      const { data, info } = await base.clone().raw().toBuffer({ resolveWithObject: true });
      reference = { data, width: info.width, height: info.height };
      encoded.png = await base.clone().png().toBuffer();
      encoded.jpeg = await base.clone().jpeg({ quality: 95 }).toBuffer();
      encoded.webp = await base.clone().webp({ lossless: true }).toBuffer();
      encoded.tiff = await base.clone().tiff({ compression: 'lzw' }).toBuffer();
      encoded.avif = await base.clone().avif({ lossless: true }).toBuffer();
      encoded.png16 = await base.clone().toColourspace('rgb16').png().toBuffer();
      encoded.cmyk = await base.clone().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
      encoded.p3 = await base.clone().withIccProfile('p3').png().toBuffer();
      // A two-frame animated GIF: first frame red, second blue.
      const frame = (r: number, b: number) => Buffer.alloc(8 * 8 * 3, Buffer.from([r, 0, b]));
      encoded.gif = await sharp(Buffer.concat([frame(255, 0), frame(0, 255)]), {
        raw: { width: 8, height: 16, channels: 3, pageHeight: 8 } as never,
      })
        .gif({ loop: 0 })
        .toBuffer();
    });

    it.each(['png', 'jpeg', 'webp', 'tiff', 'avif'])('%s', async (kind) => {
      const bytes = encoded[kind]!;
      expect(sniffImageFormat(bytes)).toBe(kind);
      const image = await decodeImage(bytes);
      expect(image).toMatchObject({ width: 64, height: 48, format: kind, decoder: 'sharp' });
      const rgb = toRgb(image).data as Uint8Array;
      let maxDiff = 0;
      let sumDiff = 0;
      for (let i = 0; i < rgb.length; i++) {
        const d = Math.abs(rgb[i]! - reference.data[i]!);
        maxDiff = Math.max(maxDiff, d);
        sumDiff += d;
      }
      // Lossless formats give the pixels back exactly; JPEG q95 (4:2:0 chroma) stays close on average.
      if (kind === 'jpeg') expect(sumDiff / rgb.length).toBeLessThan(3);
      else expect(maxDiff).toBe(0);
      // And exactly what Pillow decodes (Debian's Pillow has no AVIF plugin).
      if (kind !== 'avif') expect(Buffer.from(rgb).equals(pillowRgb(bytes)), `${kind} vs Pillow`).toBe(true);
    });

    it('reduces 16-bit PNG to 8 bits', async () => {
      expect((await sharp(encoded.png16!).metadata()).depth).toBe('ushort');
      const image = await decodeImage(encoded.png16!);
      expect(image.data.length).toBe(64 * 48 * image.channels);
      const rgb = toRgb(image).data as Uint8Array;
      expect(Math.max(...rgb.map((v, i) => Math.abs(v - reference.data[i]!)))).toBeLessThanOrEqual(1);
    });

    it("converts CMYK JPEG to RGB exactly as Pillow's convert('RGB') (and 16-bit PNG as Pillow)", async () => {
      expect((await sharp(encoded.cmyk!).metadata()).space).toBe('cmyk');
      for (const kind of ['cmyk', 'png16']) {
        const image = await decodeImage(encoded[kind]!);
        const pillow = pillowRgb(encoded[kind]!);
        const rgb = Buffer.from(toRgb(image).data as Uint8Array);
        expect(rgb.length, kind).toBe(pillow.length);
        let differing = 0;
        for (let i = 0; i < rgb.length; i++) if (rgb[i] !== pillow[i]) differing++;
        expect(differing, `${kind}: values differing from Pillow`).toBe(0);
      }
      // Still the photo's colours (a naive conversion, but not garbage).
      const mean = (a: Uint8Array | Buffer) => a.reduce((s, v) => s + v, 0) / a.length;
      expect(Math.abs(mean((await decodeImage(encoded.cmyk!)).data) - mean(reference.data))).toBeLessThan(40);
    });

    it('does not apply an embedded ICC profile (as Pillow does not)', async () => {
      const meta = await sharp(encoded.p3!).metadata();
      expect(meta.icc).toBeDefined();
      const image = await decodeImage(encoded.p3!);
      expect(Buffer.from(toRgb(image).data as Uint8Array).equals(pillowRgb(encoded.p3!))).toBe(true);
    });

    it('gives the first frame of an animated GIF', async () => {
      expect(sniffImageFormat(encoded.gif!)).toBe('gif');
      const image = await decodeImage(encoded.gif!);
      expect([image.width, image.height]).toEqual([8, 8]);
      expect(Buffer.from(toRgb(image).data as Uint8Array).equals(pillowRgb(encoded.gif!))).toBe(true);
      const rgb = toRgb(image).data as Uint8Array;
      expect([rgb[0], rgb[1], rgb[2]]).toEqual([255, 0, 0]);
    });

    it('refuses images over the pixel limit from the header, before decoding', async () => {
      const e = await codeOf(decodeImage(encoded.png!, { maxPixels: 64 * 48 - 1 }));
      expect(e.code).toBe('image_too_large');
      expect(e.message).toMatch(/64×48 = 3072 pixels, over the limit of 3071/);
      // A header claiming 100000×100000 with no pixel data at all: refused as too large, not as broken.
      const e2 = await codeOf(decodeImage(pngHeaderOnly(100_000, 100_000)));
      expect(e2.code).toBe('image_too_large');
      // Every format and the CMYK path (one decoding pass each, the limit checked on the header).
      for (const kind of ['jpeg', 'webp', 'tiff', 'avif', 'gif', 'cmyk']) {
        const e3 = await codeOf(decodeImage(encoded[kind]!, { maxPixels: 10 }));
        expect([kind, e3.code, e3.details.pixels]).toEqual([
          kind,
          'image_too_large',
          kind === 'gif' ? 64 : 3072,
        ]);
      }
    });

    it.each(['png', 'jpeg', 'webp', 'gif', 'tiff', 'avif'])(
      'truncated %s → bad_image with a reason',
      async (kind) => {
        const bytes = encoded[kind]!;
        const e = await codeOf(decodeImage(bytes.subarray(0, Math.floor(bytes.length * 0.6))));
        expect(e.code).toBe('bad_image');
        expect(e.message).toMatch(new RegExp(`^cannot decode ${kind.toUpperCase()}: \\S`));
      },
    );
  });

  it('names unknown and unsupported formats', async () => {
    const e = await codeOf(decodeImage(new TextEncoder().encode('hello, not an image')));
    expect(e.code).toBe('unsupported_media_type');
    expect(e.message).toMatch(/not a recognised image format .*supported: jpeg, png, webp, gif, avif, tiff/);
    const bmp = await codeOf(decodeImage(Uint8Array.from([0x42, 0x4d, 1, 2, 3, 4])));
    expect(bmp.message).toMatch(/^BMP is not supported/);
    expect((await codeOf(decodeImage(new Uint8Array(0)))).code).toBe('unsupported_media_type');
    // An SVG is never handed to sharp, whatever its name.
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    expect((await codeOf(decodeImage(svg))).code).toBe('unsupported_media_type');
  });
});

/** A PNG announcing width×height whose only pixel data is an empty zlib stream (a few dozen bytes). */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])) >>> 0);
    return Buffer.concat([length, Buffer.from(type), data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { sniffImageFormat } from '../../core/image-format.js';
import type { ImageDecoder } from '../../core/image-types.js';
import { createWasmImageDecoder } from './decode-image.js';
import { readImageHeader } from '../../core/image/header.js';
import { compileCodecModules } from './node-wasm-modules.js';

const photos = join(import.meta.dirname, '../../../../shared/data/images');

async function encode(format: 'jpeg' | 'png' | 'webp', width: number, height: number, alpha = false) {
  const channels = alpha ? 4 : 3;
  const raw = Buffer.alloc(width * height * channels);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 256;
  const image = sharp(raw, { raw: { width, height, channels } });
  const encoded =
    format === 'jpeg' ? image.jpeg() : format === 'png' ? image.png() : image.webp({ lossless: true });
  return { bytes: new Uint8Array(await encoded.toBuffer()), raw };
}

describe('createWasmImageDecoder (jsquash codecs from compiled modules)', () => {
  let decode: ImageDecoder;
  beforeAll(async () => {
    decode = createWasmImageDecoder(await compileCodecModules());
  });

  it('decodes a shared JPEG and PNG to exactly the RGB sharp returns (ICC ignored, not rotated)', async () => {
    for (const name of ['soccer_ball.jpg', 'jemma.png']) {
      const bytes = new Uint8Array(readFileSync(join(photos, name)));
      const image = await decode(bytes);
      const ref = await sharp(bytes, { ignoreIcc: true })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([image.width, image.height, image.channels]).toEqual([ref.info.width, ref.info.height, 4]);
      expect(image.decoder).toBe('wasm-codecs');
      const rgb = new Uint8Array(image.width * image.height * 3);
      for (let p = 0; p < image.width * image.height; p++)
        rgb.set(image.data.subarray(p * 4, p * 4 + 3), p * 3);
      expect(Buffer.compare(Buffer.from(rgb), ref.data)).toBe(0);
    }
  });

  it('returns lossless PNG and WebP pixels (with straight alpha) exactly', async () => {
    for (const format of ['png', 'webp'] as const) {
      const { bytes, raw } = await encode(format, 7, 5, true);
      const image = await decode(bytes);
      expect(image.format).toBe(format);
      expect(Buffer.from(image.data).equals(raw)).toBe(true);
    }
  });

  it('refuses too many pixels from the header, before decoding', async () => {
    const { bytes } = await encode('jpeg', 64, 48);
    expect(readImageHeader(bytes, 'jpeg')).toMatchObject({ width: 64, height: 48 });
    await expect(decode(bytes, { maxPixels: 1000 })).rejects.toMatchObject({
      code: 'image_too_large',
      message: expect.stringMatching(/64×48 = 3072 pixels; the limit is 1000/),
    });
  });

  it('reads sizes from every supported header', async () => {
    for (const format of ['jpeg', 'png', 'webp'] as const) {
      const { bytes } = await encode(format, 33, 17);
      expect(sniffImageFormat(bytes)).toBe(format);
      expect(readImageHeader(bytes, format)).toMatchObject({ width: 33, height: 17 });
    }
    const lossy = new Uint8Array(
      await sharp(Buffer.alloc(33 * 17 * 3), { raw: { width: 33, height: 17, channels: 3 } })
        .webp()
        .toBuffer(),
    );
    expect(readImageHeader(lossy, 'webp')).toMatchObject({ width: 33, height: 17 });
  });

  it('answers bad input with typed errors naming the problem and the supported formats', async () => {
    await expect(decode(new TextEncoder().encode('hello, not an image'))).rejects.toMatchObject({
      code: 'unsupported_media_type',
      message: expect.stringMatching(/jpeg, png, webp/),
    });
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00');
    await expect(decode(gif)).rejects.toMatchObject({ code: 'unsupported_media_type', message: /gif/ });
    const { bytes } = await encode('jpeg', 40, 30);
    await expect(decode(bytes.subarray(0, 3))).rejects.toMatchObject({ code: 'bad_image' });
    await expect(decode(bytes.subarray(0, bytes.length / 3))).rejects.toMatchObject({ code: 'bad_image' });
    const png = (await encode('png', 40, 30)).bytes;
    await expect(decode(png.subarray(0, 60))).rejects.toMatchObject({ code: 'bad_image' });
  });
});

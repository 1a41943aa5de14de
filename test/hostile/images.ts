/**
 * Images for the hostile suite, made at test time (nothing binary is committed): small valid images of
 * every format and colour model, hand-built headers that declare huge dimensions, zlib bombs, animated
 * GIF/WebP, polyglots. The one large file (the 39.7 MP 16-bit PNG of issue 15) is cached in test/.cache.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, crc32, createDeflate } from 'node:zlib';
import { zipSync } from 'fflate';
import sharp from 'sharp';

const CACHE = join(import.meta.dirname, '../.cache/hostile');

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32(data.length), body, u32(crc32(body))]);
}

/** A PNG from its IHDR fields and already-compressed IDAT bytes. */
export function pngOf(
  width: number,
  height: number,
  bitDepth: number,
  colorType: number,
  idat: Uint8Array,
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array()),
  ]);
}

/** zlib of `rows` rows of `rowBytes` zero bytes (filter byte 0 each): a decompression bomb, streamed. */
async function zeroRows(rows: number, rowBytes: number): Promise<Buffer> {
  const deflate = createDeflate({ level: constants.Z_BEST_COMPRESSION });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const row = Buffer.alloc(rowBytes + 1);
  for (let i = 0; i < rows; i++) if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r));
  deflate.end();
  await done;
  return Buffer.concat(out);
}

/** A PNG of zeros, `side`² pixels, `channels` × `bitDepth` (colour type from channels); cached. */
async function bombPng(side: number, channels: 1 | 4, bitDepth: 8 | 16): Promise<Buffer> {
  const path = join(CACHE, `bomb-${side}-${channels}x${bitDepth}.png`);
  if (existsSync(path)) return readFileSync(path);
  const png = pngOf(
    side,
    side,
    bitDepth,
    channels === 4 ? 6 : 0,
    await zeroRows(side, (side * channels * bitDepth) / 8),
  );
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(path, png);
  return png;
}

/** Byte offset of the first JPEG SOFn marker's height field. */
function jpegSofOffset(jpeg: Buffer): number {
  let o = 2;
  while (o + 4 < jpeg.length) {
    const marker = jpeg[o + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return o + 5;
    o += 2 + jpeg.readUInt16BE(o + 2);
  }
  throw new Error('no SOF marker');
}

/** The GIF split around its frames: header + palette, the frame blocks, the trailer. */
function gifParts(gif: Buffer): { head: Buffer; frames: Buffer } {
  const flags = gif[10]!;
  const headEnd = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  return { head: gif.subarray(0, headEnd), frames: gif.subarray(headEnd, gif.length - 1) };
}

function riffChunk(type: string, data: Uint8Array): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt32LE(data.length);
  return Buffer.concat([Buffer.from(type, 'latin1'), size, data, Buffer.alloc(data.length % 2)]);
}

function u24le(value: number): Buffer {
  return Buffer.from([value & 255, (value >> 8) & 255, (value >> 16) & 255]);
}

/** An animated WebP (VP8X + ANIM + two ANMF frames) around one lossy VP8 frame of w×h. */
function animatedWebp(stillWebp: Buffer, w: number, h: number): Buffer {
  const vp8 = stillWebp.subarray(12); // the 'VP8 ' chunk with its header
  const frame = Buffer.concat([
    u24le(0),
    u24le(0),
    u24le(w - 1),
    u24le(h - 1),
    u24le(100),
    Buffer.from([0]),
    vp8,
  ]);
  const vp8x = Buffer.concat([Buffer.from([0x02, 0, 0, 0]), u24le(w - 1), u24le(h - 1)]);
  const body = Buffer.concat([
    Buffer.from('WEBP', 'latin1'),
    riffChunk('VP8X', vp8x),
    riffChunk('ANIM', Buffer.from([0, 0, 0, 0, 0, 0])),
    riffChunk('ANMF', frame),
    riffChunk('ANMF', frame),
  ]);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.from(u32le(body.length)), body]);
}

function u32le(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

export interface NamedImage {
  name: string;
  bytes: Uint8Array;
}

/** Small valid images the fuzzer mutates: the formats netlens decodes. */
export async function seedImages(): Promise<NamedImage[]> {
  const photo = sharp(join(import.meta.dirname, '../../../shared/data/images/clint_eastwood.jpg')).resize(
    96,
    96,
  );
  return [
    { name: 'jpeg', bytes: await photo.clone().jpeg({ quality: 80 }).toBuffer() },
    { name: 'png', bytes: await photo.clone().png().toBuffer() },
    { name: 'webp', bytes: await photo.clone().webp().toBuffer() },
    { name: 'gif', bytes: await photo.clone().gif().toBuffer() },
  ];
}

/** The fixed image corpus: odd but valid images, header bombs, zlib bombs, animations, polyglots, other formats. */
export async function corpusImages(): Promise<NamedImage[]> {
  const photo = sharp(join(import.meta.dirname, '../../../shared/data/images/clint_eastwood.jpg')).resize(
    80,
    60,
  );
  const jpeg = await photo.clone().jpeg().toBuffer();
  const png = await photo.clone().png().toBuffer();
  const webp = await photo.clone().webp().toBuffer();
  const gif = await photo.clone().gif().toBuffer();

  const hugeJpeg = Buffer.from(jpeg);
  const sof = jpegSofOffset(hugeJpeg);
  hugeJpeg.writeUInt16BE(65000, sof);
  hugeJpeg.writeUInt16BE(65000, sof + 2);
  const hugeGif = Buffer.from(gif);
  hugeGif.writeUInt16LE(65535, 6);
  hugeGif.writeUInt16LE(65535, 8);
  const { head, frames } = gifParts(gif);
  const loop = Buffer.concat([
    Buffer.from([0x21, 0xff, 0x0b]),
    Buffer.from('NETSCAPE2.0', 'latin1'),
    Buffer.from([3, 1, 0, 0, 0]),
  ]);
  const comment = Buffer.from('<html><script>alert(1)</script></html>', 'latin1');
  const jpegWithHtml = Buffer.concat([
    jpeg.subarray(0, 2),
    Buffer.from([0xff, 0xfe]),
    Buffer.from([0, comment.length + 2]),
    comment,
    jpeg.subarray(2),
  ]);
  const bmpHeader = Buffer.alloc(54);
  bmpHeader.write('BM', 0, 'latin1');
  bmpHeader.writeUInt32LE(54, 10);
  bmpHeader.writeUInt32LE(40, 14);
  bmpHeader.writeInt32LE(100_000, 18);
  bmpHeader.writeInt32LE(100_000, 22);
  bmpHeader.writeUInt16LE(1, 26);
  bmpHeader.writeUInt16LE(24, 28);
  const laughs =
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><text>&c;</text></svg>';
  return [
    { name: 'cmyk.jpg', bytes: await photo.clone().toColourspace('cmyk').jpeg().toBuffer() },
    { name: 'progressive.jpg', bytes: await photo.clone().jpeg({ progressive: true }).toBuffer() },
    { name: 'grey.jpg', bytes: await photo.clone().greyscale().jpeg().toBuffer() },
    { name: 'rgb16.png', bytes: await photo.clone().toColourspace('rgb16').png().toBuffer() },
    { name: 'grey16.png', bytes: await photo.clone().toColourspace('grey16').png().toBuffer() },
    { name: 'palette.png', bytes: await photo.clone().png({ palette: true, colours: 16 }).toBuffer() },
    { name: 'alpha.png', bytes: await photo.clone().ensureAlpha(0.3).png().toBuffer() },
    { name: 'grey-alpha.png', bytes: await photo.clone().greyscale().ensureAlpha(0.5).png().toBuffer() },
    { name: 'alpha.webp', bytes: await photo.clone().ensureAlpha(0.3).webp({ lossless: true }).toBuffer() },
    { name: 'animated.gif', bytes: Buffer.concat([head, loop, frames, frames, Buffer.from([0x3b])]) },
    { name: 'animated.webp', bytes: animatedWebp(webp, 80, 60) },
    {
      name: 'exif-orientation-8.jpg',
      bytes: await photo.clone().jpeg().withMetadata({ orientation: 8 }).toBuffer(),
    },
    { name: 'tiff', bytes: await photo.clone().tiff().toBuffer() },
    { name: 'avif', bytes: await photo.clone().avif().toBuffer() },
    { name: 'bmp-100000x100000', bytes: bmpHeader },
    { name: 'svg-billion-laughs', bytes: Buffer.from(laughs) },
    {
      name: 'png-header-100000x100000',
      bytes: pngOf(100_000, 100_000, 8, 2, new Uint8Array([0x78, 0x9c, 0x03, 0, 0, 0, 0, 1])),
    },
    {
      name: 'png-header-1x2147483647',
      bytes: pngOf(1, 0x7fffffff, 8, 0, new Uint8Array([0x78, 0x9c, 0x03, 0, 0, 0, 0, 1])),
    },
    { name: 'jpeg-sof-65000x65000', bytes: hugeJpeg },
    { name: 'gif-screen-65535x65535', bytes: hugeGif },
    { name: 'png-zlib-bomb-6300-grey8', bytes: await bombPng(6300, 1, 8) },
    { name: 'png-zlib-bomb-6300-rgba16 (issue 15: 39.7 MP, 16-bit)', bytes: await bombPng(6300, 4, 16) },
    { name: 'png-zlib-bomb-2500-rgba16', bytes: await bombPng(2500, 4, 16) },
    {
      name: 'polyglot-jpeg+zip',
      bytes: Buffer.concat([jpeg, zipSync({ 'evil.html': Buffer.from('<script>alert(1)</script>') })]),
    },
    {
      name: 'polyglot-zip+jpeg',
      bytes: Buffer.concat([zipSync({ 'a.txt': Buffer.from('zip first') }), jpeg]),
    },
    { name: 'polyglot-jpeg-html-comment', bytes: jpegWithHtml },
    { name: 'polyglot-html-then-png', bytes: Buffer.concat([Buffer.from('<html><body>'), png]) },
    {
      name: 'polyglot-png+html-trailer',
      bytes: Buffer.concat([png, Buffer.from('<html><script>alert(1)</script>')]),
    },
    { name: 'polyglot-gif-js', bytes: Buffer.from('GIF89a=1;alert(document.domain)//') },
    { name: 'pdf', bytes: Buffer.from('%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF') },
    {
      name: 'webp-header-only',
      bytes: Buffer.from(
        'RIFF\x10\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\xff\xff\x3f\xff\xff\x3f',
        'latin1',
      ),
    },
  ];
}

import { type ZlibOptions, crc32, inflateSync } from 'node:zlib';
import type { DecodedImage } from '../../core/image-types.js';
import type { PngUnfilter } from '../../core/image/wasm-png-unfilter.js';

/** Samples per pixel of the PNG colour types the fast path reads: grey, RGB, grey + alpha, RGBA. */
const CHANNELS: Partial<Record<number, 1 | 2 | 3 | 4>> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * Filtered bytes (rows + filter bytes) the fast path inflates at most: 16 MiB, a 5.5 MP RGB photo.
 * The fast path runs on the calling thread, so this bounds how long one image can hold it (a highly
 * compressible 16 MiB image: ~0.2 s here); larger images go to sharp, which decodes off the thread.
 */
export const PNG_FAST_MAX_BYTES = 16 * 1024 * 1024;

/** Chunks the fast path reads at most (a 16 MiB image in libpng's 8 KiB IDAT chunks is ~2 000). */
const MAX_CHUNKS = 8192;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Header {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * The common PNG — 8 bits per sample, not interlaced, grey or RGB with or without alpha, no palette or
 * tRNS — decoded without libvips: node:zlib inflates it and the WebAssembly kernel reconstructs the rows,
 * on the calling thread. For the photos it is written for this takes about half of sharp's CPU time,
 * most of which went to handing the image between libvips' threads and copying it (docs/performance.md).
 *
 * Only a file that is valid in every respect is decoded here: signature, chunk names and CRCs, one run
 * of IDAT, a zlib stream (Adler-32 checked) that inflates to exactly the image's size with nothing after
 * it, known filter types, IEND last. For anything else — other bit depths, palettes, interlacing,
 * transparency chunks, images over `maxPixels` or `maxBytes` of rows, more than MAX_CHUNKS chunks,
 * damaged or unusual files — it returns undefined and the caller decodes with sharp, so those keep
 * sharp's behaviour and errors. The pixels are the stored samples, as sharp (without colour management)
 * and Pillow give them; grey stays one channel (L, or LA with alpha) as Pillow opens it, where sharp
 * widens it to RGB(A) — core's colour conversions give the same RGB and L from either.
 */
export function decodePngFast(
  bytes: Uint8Array,
  maxPixels: number,
  unfilter: PngUnfilter,
  maxBytes = PNG_FAST_MAX_BYTES,
): DecodedImage | undefined {
  const chunks = readChunks(bytes, maxPixels, maxBytes);
  if (chunks === undefined) return undefined;
  const { header, idat } = chunks;
  const stride = header.width * header.channels;
  const size = header.height * (stride + 1);
  // One output buffer, one byte larger than the rows: when zlib fills a chunk exactly, node:zlib
  // allocates the next one before it finds the stream ended (chunks are at least 64 bytes).
  const chunkSize = Math.max(size + 1, 64);
  let filtered: Uint8Array;
  let image: Uint8Array | undefined;
  try {
    // With `info`, node:zlib also returns the engine, which counts the input it consumed (@types/node
    // does not type that form).
    const { buffer, engine } = inflateSync(idat, {
      info: true,
      maxOutputLength: size,
      chunkSize,
    } as ZlibOptions) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    // All of the zlib stream read, and exactly the image's rows out of it.
    if (buffer.byteLength !== size || engine.bytesWritten !== idat.byteLength) return undefined;
    filtered = buffer;
    // A filter type outside 0–4 gives undefined; so does the kernel failing to grow its memory.
    image = unfilter(filtered, header.height, stride, header.channels);
  } catch {
    return undefined;
  }
  if (image === undefined) return undefined;
  // The image is the start of zlib's output buffer (the filtered bytes after it are left over). That
  // buffer is the image's own unless Node carved zlib's chunk from its shared pool (Buffer.allocUnsafe
  // does so for small sizes; the pool is larger than such a chunk): then the image is copied into one
  // of its own, which a caller may transfer. A plain Uint8Array either way (Buffer's slice is a view).
  const own = filtered.byteOffset === 0 && filtered.buffer.byteLength === chunkSize;
  const data = own ? new Uint8Array(image.buffer, 0, image.byteLength) : new Uint8Array(image);
  return {
    width: header.width,
    height: header.height,
    channels: header.channels,
    data,
    format: 'png',
    decoder: 'png-fast',
  };
}

/** A chunk type as the specification allows it: four ASCII letters, the reserved third one upper case. */
function validType(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < 4; i++) {
    const c = bytes[at + i]! & ~0x20;
    if (c < 0x41 || c > 0x5a) return false;
  }
  return (bytes[at + 2]! & 0x20) === 0;
}

/** The header and the concatenated IDAT data of a PNG the fast path takes, or undefined. */
function readChunks(
  bytes: Uint8Array,
  maxPixels: number,
  maxBytes: number,
): { header: Header; idat: Uint8Array } | undefined {
  if (bytes.byteLength < 8 + 25 + 12 || SIGNATURE.some((b, i) => bytes[i] !== b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  // The IDAT payloads as [start, end) offsets, collected before anything is copied.
  const idat: number[] = [];
  let idatBytes = 0;
  let idatEnded = false;
  for (let at = 8, chunks = 0; at + 12 <= bytes.byteLength && chunks < MAX_CHUNKS; chunks++) {
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (length > 0x7fffffff || end > bytes.byteLength || !validType(bytes, at + 4)) return undefined;
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) return undefined;
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    if (header === undefined) {
      if (type !== 'IHDR') return undefined;
      header = readHeader(bytes.subarray(at + 8, at + 8 + length), maxPixels, maxBytes);
      if (header === undefined) return undefined;
    } else if (type === 'IDAT') {
      if (idatEnded) return undefined;
      idat.push(at + 8, at + 8 + length);
      idatBytes += length;
    } else if (type === 'IEND') {
      if (length !== 0 || end !== bytes.byteLength || idat.length === 0) return undefined;
      return { header, idat: joined(bytes, idat, idatBytes) };
    } else {
      if (idat.length > 0) idatEnded = true;
      // Critical chunks (PLTE, unknown ones) and tRNS (which makes sharp add an alpha channel) are left
      // to libpng. Other ancillary chunks do not change the samples.
      const critical = (bytes[at + 4]! & 0x20) === 0;
      if (critical || type === 'tRNS') return undefined;
    }
    at = end;
  }
  return undefined;
}

/** The IDAT payloads at `ranges` ([start, end) pairs) as one array: a view when there is one. */
function joined(bytes: Uint8Array, ranges: number[], total: number): Uint8Array {
  if (ranges.length === 2) return bytes.subarray(ranges[0], ranges[1]);
  const out = new Uint8Array(total);
  for (let i = 0, at = 0; i < ranges.length; i += 2) {
    out.set(bytes.subarray(ranges[i], ranges[i + 1]), at);
    at += ranges[i + 1]! - ranges[i]!;
  }
  return out;
}

function readHeader(data: Uint8Array, maxPixels: number, maxBytes: number): Header | undefined {
  if (data.byteLength !== 13) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, 13);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [depth, colourType, compression, filter, interlace] = data.subarray(8, 13);
  const channels = CHANNELS[colourType!];
  if (width === 0 || height === 0 || channels === undefined) return undefined;
  if (depth !== 8 || compression !== 0 || filter !== 0 || interlace !== 0) return undefined;
  if (width * height > maxPixels || height * (width * channels + 1) > maxBytes) return undefined;
  return { width, height, channels };
}

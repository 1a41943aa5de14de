/** Pixels as a decoder returns them: 8-bit, interleaved, top-left origin, before EXIF orientation. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** 1 = L (grey), 2 = LA, 3 = RGB, 4 = RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  readonly data: Uint8Array;
  /** Container format detected from the magic bytes. */
  readonly format: ImageFormat;
  /** Which decoder produced the pixels (e.g. 'sharp', 'png-fast', 'wasm-codecs'): reported in metrics. */
  readonly decoder: string;
}

/**
 * What an image's header says about its pixels, read before any pixel is decoded: the size, the
 * channels the decoder produces (palette and CMYK images count as they decode: RGB(A), and 4 inks), and
 * the bits each sample is decoded to (1–8 → 8, 9–16 → 16, float → 32).
 */
export interface ImageHeader {
  width: number;
  height: number;
  channels: number;
  bitsPerSample: 8 | 16 | 32;
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff' | 'bmp';

export interface DecodeOptions {
  /** Refuse images with more pixels than this before decoding their pixel data. */
  maxPixels?: number;
  /** The format the caller already sniffed from these bytes (sniffImageFormat), so it is not sniffed twice. */
  format?: ImageFormat;
}

/** Injected by each runtime: sharp on Node, WASM codecs at the edge and in browsers. */
export type ImageDecoder = (bytes: Uint8Array, options?: DecodeOptions) => Promise<DecodedImage>;

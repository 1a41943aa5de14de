/** Pixels as a decoder returns them: 8-bit, interleaved, top-left origin, before EXIF orientation. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** 1 = L (grey), 2 = LA, 3 = RGB, 4 = RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  readonly data: Uint8Array;
  /** Container format detected from the magic bytes. */
  readonly format: ImageFormat;
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

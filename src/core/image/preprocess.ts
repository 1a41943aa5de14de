import type { Float32Tensor } from '../engine.js';
import { NetlensError } from '../errors.js';
import type { DecodedImage } from '../image-types.js';
import type { Manifest } from '../manifest.js';
import { readExifOrientation } from './exif.js';
import { alignCornersInto } from './fused-align-corners.js';
import { convolveView } from './fused-convolution.js';
import { nearestInto } from './fused-nearest.js';
import { normaliseTable, type NormaliseTable } from './normalise-table.js';
import type { Orientation, Pixels } from './pixels.js';
import { checkChannels } from './preprocess-reference.js';
import { BILINEAR_FILTER, BOX_FILTER } from './resample-coefficients.js';
import { checkSize } from './pixels.js';
import { RESIZE_METHODS } from '../manifest.js';
import { sourceView, type SourceView } from './source-view.js';
import type { ResampleKernel } from './wasm-resample.js';

export interface PreprocessOptions {
  /**
   * Apply the EXIF orientation read from `source` (default: true when `source` is given).
   * `true` without `source` is an error: the orientation lives in the encoded bytes, not the pixels.
   */
  orient?: boolean;
  /**
   * The resize kernels in WebAssembly (wasmResample: Pillow's convolution in SIMD, TF.js' align-corners
   * interpolation), which the runtime supplies; without them the same bytes come from TypeScript, slower.
   */
  resample?: ResampleKernel | undefined;
  /**
   * Where to write the model input (exactly H × W × C values, every one overwritten): a runtime that
   * recycles input buffers passes one back here, and the result is bit for bit a fresh buffer's.
   */
  out?: Float32Array | undefined;
}

/**
 * decode output → EXIF orientation → `convert('RGB')`/`convert('L')` → resize to the model input →
 * normalise (Keras order), or for 'bilinear-align-corners' normalise → resize (TF.js/nsfwjs order, so the
 * float rounding matches nsfwjs bit for bit). Returns one NHWC float32 image with dims [1, H, W, C].
 *
 * Fused: the 8-bit decoded image is read in place (orientation and colour conversion are index
 * arithmetic, core/image/source-view.ts), resized, and only the output samples are normalised, by table
 * lookup. Bit for bit what the step-by-step `preprocessReference` computes (tested on random images of
 * every mode, colour and orientation).
 */
export function preprocessImage(
  image: DecodedImage,
  source: Uint8Array | undefined,
  spec: Pick<Manifest, 'input' | 'preprocessing'>,
  options: PreprocessOptions = {},
): Float32Tensor {
  const orient = options.orient ?? source !== undefined;
  if (orient && source === undefined) {
    throw new NetlensError(
      'invalid_argument',
      'preprocessImage: orient: true needs the encoded source bytes to read the EXIF orientation',
    );
  }
  const orientation = orient && source !== undefined ? readExifOrientation(source) : 1;
  return preprocessOriented(image, orientation, spec, options.resample, options.out);
}

/** `preprocessImage` with the orientation given (what `preprocessReference` takes too). */
export function preprocessOriented(
  image: DecodedImage | Pixels,
  orientation: Orientation,
  spec: Pick<Manifest, 'input' | 'preprocessing'>,
  resample?: ResampleKernel,
  into?: Float32Array,
): Float32Tensor {
  const { input, preprocessing } = spec;
  const channels = checkChannels(spec);
  const view = sourceView(image, orientation, preprocessing.color ?? 'rgb');
  const table = normaliseTable(preprocessing);
  checkSize('width', input.width);
  checkSize('height', input.height);
  const length = input.width * input.height * channels;
  if (into !== undefined && into.length !== length) {
    throw new NetlensError(
      'invalid_argument',
      `preprocess: out has ${into.length} values, the model input needs ${input.height}×${input.width}×${channels} = ${length}`,
      { details: { outLength: into.length, inputLength: length } },
    );
  }
  const out = into ?? new Float32Array(length);
  resizeInto(view, input.width, input.height, preprocessing.resize, table, out, resample);
  return { data: out, dims: [1, input.height, input.width, channels] };
}

function resizeInto(
  view: SourceView,
  width: number,
  height: number,
  method: Manifest['preprocessing']['resize'],
  table: NormaliseTable,
  out: Float32Array,
  resample: ResampleKernel | undefined,
): void {
  switch (method) {
    case 'nearest':
      return nearestInto(view, width, height, table, out);
    case 'bilinear-align-corners':
      if (resample) return resample.alignCornersInto(view, width, height, table, out);
      return alignCornersInto(view, width, height, table, out);
    case 'bilinear':
    case 'area': {
      const filter = method === 'area' ? BOX_FILTER : BILINEAR_FILTER;
      if (resample) return resample.convolveInto(view, width, height, filter, table, out);
      return lookUp(convolveView(view, width, height, filter), view.samples, table, out);
    }
    default:
      throw new NetlensError(
        'invalid_argument',
        `unknown resize method '${String(method)}'; valid: ${RESIZE_METHODS.join(', ')}`,
        { details: { method, valid: [...RESIZE_METHODS] } },
      );
  }
}

/** Normalises resized 8-bit samples (1 or 3 per pixel) into `out` by table lookup. */
function lookUp(samples: Uint8Array, perPixel: 1 | 3, table: NormaliseTable, out: Float32Array): void {
  const v = table.values;
  if (table.channels === 1) {
    for (let i = 0; i < out.length; i++) out[i] = v[samples[i] as number] as number;
    return;
  }
  const [a, b, c] = perPixel === 1 ? [0, 0, 0] : (table.order as readonly [number, number, number]);
  for (let i = 0, s = 0; i < out.length; i += 3, s += perPixel) {
    out[i] = v[samples[s + a] as number] as number;
    out[i + 1] = v[256 + (samples[s + b] as number)] as number;
    out[i + 2] = v[512 + (samples[s + c] as number)] as number;
  }
}

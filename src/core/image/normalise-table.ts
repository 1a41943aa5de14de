import type { Manifest } from '../manifest.js';
import { normalise } from './normalise.js';

/**
 * `normalise` as lookup tables: every mode maps an 8-bit sample to a float32 by a function of the sample
 * and its channel only, so the 256 values per output channel are computed once — by `normalise` itself,
 * on a 256-pixel ramp, so they are its exact float32 results — and the fused preprocessing only looks
 * them up for the samples the model reads.
 */
export interface NormaliseTable {
  /** Output channels (the model's: 3 for rgb, 1 for grayscale). */
  readonly channels: 1 | 3;
  /** `values[k·256 + v]`: output channel k for source sample value v. */
  readonly values: Float32Array;
  /** The same values in double precision (what the align-corners arithmetic reads). */
  readonly values64: Float64Array;
  /**
   * The source sample each output channel reads, for views of 3 samples (caffe and 'bgr' read R↔B
   * swapped); views of 1 sample read sample 0 for every channel.
   */
  readonly order: readonly [number, number, number] | readonly [number];
}

const cache = new Map<string, NormaliseTable>();
const CACHED_TABLES = 32;

/**
 * The table for `preprocessing`, remembered by value (a worker thread receives a fresh copy of the
 * manifest with every image).
 */
export function normaliseTable(preprocessing: Manifest['preprocessing']): NormaliseTable {
  const key = JSON.stringify(preprocessing);
  let table = cache.get(key);
  if (!table) {
    table = buildTable(preprocessing);
    if (cache.size >= CACHED_TABLES) cache.delete(cache.keys().next().value!);
    cache.set(key, table);
  }
  return table;
}

function buildTable(preprocessing: Manifest['preprocessing']): NormaliseTable {
  const channels = preprocessing.color === 'grayscale' ? 1 : 3;
  const ramp = new Uint8Array(256 * channels);
  for (let v = 0; v < 256; v++) ramp.fill(v, v * channels, (v + 1) * channels);
  // Throws normalise's own errors for an impossible spec (unknown mode, caffe on grayscale, …).
  const normalised = normalise({ width: 256, height: 1, channels, data: ramp }, preprocessing);
  const values = new Float32Array(256 * channels);
  for (let v = 0; v < 256; v++) {
    for (let k = 0; k < channels; k++) values[k * 256 + v] = normalised[v * channels + k] as number;
  }
  const swapped = channels === 3 && (preprocessing.mode === 'caffe' || preprocessing.channelOrder === 'bgr');
  return {
    channels,
    values,
    values64: Float64Array.from(values),
    order: channels === 1 ? [0] : swapped ? [2, 1, 0] : [0, 1, 2],
  };
}

export type { Orientation, Pixels } from './pixels.js';
export { readExifOrientation } from './exif.js';
export { applyOrientation } from './orientation.js';
export { toGrayscale, toRgb } from './color.js';
export { resize, type ResizeMethod } from './resize.js';
export { normalise } from './normalise.js';
export { preprocessImage, preprocessOriented, type PreprocessOptions } from './preprocess.js';
export { preprocessReference } from './preprocess-reference.js';
export { stackBatch } from './batch.js';

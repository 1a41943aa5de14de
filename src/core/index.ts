/**
 * netlens/core: the runtime-free pipeline every runtime shares — manifest schema and types, image
 * preprocessing, the engine and model-source contracts, decoding of outputs, typed errors.
 */
export {
  MANIFEST_VERSION,
  ManifestSchema,
  ModelCardSchema,
  OUTPUT_KINDS,
  PREPROCESS_MODES,
  RESIZE_METHODS,
  parseManifest,
  type LabelEntry,
  type Manifest,
  type ManifestInput,
  type ModelCard,
  type Preprocessing,
} from './manifest.js';
export {
  classify,
  defaultTop,
  postprocess,
  preprocess,
  requireClasses,
  runRows,
  type PipelineImage,
} from './pipeline.js';
export {
  DEFAULT_TOP,
  formatKeras,
  formatPercent,
  predictions,
  probabilities,
  softmax,
  topK,
  validateTop,
  type Prediction,
} from './decode.js';
export type { Engine, EngineSession, Float32Tensor, SessionOptions } from './engine.js';
export type { ModelSource, Variant } from './model-source.js';
export type { DecodedImage, DecodeOptions, ImageDecoder, ImageFormat } from './image-types.js';
export { sniffImageFormat } from './image-format.js';
export { openSession, type OpenSessionOptions } from './session.js';
export { ERROR_CODES, NetlensError, isNetlensError, messageOf, type ErrorCode } from './errors.js';

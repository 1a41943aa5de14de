/**
 * The Keras → ONNX converter's public API. Node-only (reads files); src/core stays runtime-free.
 */
export {
  OnnxGraphBuilder,
  floatAttr,
  floatsAttr,
  ONNX_IR_VERSION,
  DEFAULT_OPSET,
  type OnnxDim,
  type OnnxAttributes,
} from './onnx/index.js';
export type {
  KerasTensor,
  KerasWeights,
  KerasModelSpec,
  KerasFormat,
  ConvertOptions,
  ConvertProgress,
  ConversionResult,
  ConversionSummary,
} from './keras/types.js';
export { KERAS_FORMATS } from './keras/types.js';
export { convertKerasModel, defaultFeatureLayer, CONVERTER_NAME, INPUT_NAME } from './keras/convert.js';
export { parseModelConfig, type KerasGraphModel, type KerasLayer, type TensorRef } from './keras/config.js';
export { normaliseModelConfig } from './keras/keras3-config.js';
export { defaultPreprocessing } from './keras/defaults.js';
export { SUPPORTED_LAYERS } from './keras/lower/registry.js';
export { SUPPORTED_ACTIVATIONS } from './keras/lower/activations.js';
export { readWeightsOnlyH5, readKerasH5Model, type WeightsOnlyH5 } from './readers/keras-h5.js';
export { detectFileKind, type FileKind } from './readers/file-kind.js';
export { readKerasV3 } from './readers/keras-v3.js';
export { readTfjsLayers } from './readers/tfjs-layers.js';
export { readModelFile, sha256File, type ReadModel, type ReadModelOptions } from './read-model.js';
export { convertModelFile, type ConvertFileOptions, type ConvertFileResult } from './convert-file.js';
export { writeConvertedModel, writeFilesAtomically, type WrittenModel } from './write-model.js';
export {
  verifyAgainstTfjs,
  randomInputs,
  DEFAULT_TOLERANCE,
  type VerificationResult,
  type VerifyOptions,
} from './verify/verify.js';
export { buildTfjsReference } from './verify/tfjs-reference.js';
export { tfjsTopology } from './verify/tfjs-topology.js';
export { photoInputs } from './verify/photo-inputs.js';
export { createConvertCommand, formatSummary } from './cli.js';

export {
  OnnxGraphBuilder,
  floatAttr,
  floatsAttr,
  ONNX_IR_VERSION,
  DEFAULT_OPSET,
  type OnnxDim,
  type OnnxAttributes,
  type OnnxAttributeValue,
  type InitializerData,
  type InitializerSource,
  type DeferredFloat32,
  type OnnxGraphBuilderOptions,
} from './builder.js';
export { ONNX_DATA_TYPE, type OnnxDataType } from './schema.js';

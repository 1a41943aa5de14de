/** Built-in Keras ImageNet architectures for `netlens convert --arch`. */
export { buildArchitecture, type BuiltArchitecture } from './build.js';
export { buildArchitectureSpec, type ArchitectureSpec, type ArchitectureSpecOptions } from './spec.js';
export {
  ARCHITECTURE_NAMES,
  ARCHITECTURE_FACTS,
  POOLING_MODES,
  RESNET50_NAMINGS,
  isArchitectureName,
  assertArchitectureName,
  findArchitecture,
  resolveOptions,
  type ArchitectureName,
  type ArchitectureOptions,
  type PoolingMode,
  type ResNet50Naming,
  type KerasPreprocessMode,
} from './options.js';
export { matchWeights, type WeightFileContents, type WeightMatching } from './match-weights.js';
export { detectWeights, nestedBackbone, type DetectedWeights } from './detect.js';
export { kerasLayerOrder } from './keras-layer-order.js';
export { inferModel, countParameters, type LayerWeightSpec, type WeightSpec } from './weight-specs.js';
export type { KerasModelJson, KerasLayerJson, KerasFlavour } from './keras-json.js';
export { readImagenetLabels, IMAGENET_LABELS_URL } from './imagenet-labels.js';

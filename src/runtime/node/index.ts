/** onnxruntime-node + sharp + the filesystem: everything Node-specific that entry points inject. */
export {
  createNodeEngine,
  type NodeEngine,
  type NodeEngineOptions,
  type NodeEngineSession,
  type NodeSessionOptions,
} from './engine.js';
export { createSharpImageDecoder, decodeImage, DEFAULT_MAX_PIXELS } from './decode-image.js';
export { sniffImageFormat } from '../../core/image-format.js';
export {
  createModelDirectorySource,
  defaultModelsDir,
  defaultModelName,
  DEFAULT_MODEL,
  HOW_TO_BUILD,
  type ModelDirectorySource,
} from './model-dir.js';
export { parseProviderList, NODE_PROVIDERS } from './providers.js';

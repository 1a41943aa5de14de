/** The Node runtime kit and its parts: onnxruntime-node, sharp, the models directory, the HTTP server. */
export {
  createNodeRuntime,
  createLogger,
  nodeHost,
  readNodeSettings,
  type NodeRuntime,
  type NodeRuntimeSettings,
} from './runtime.js';
export {
  createNodeEngine,
  NODE_ENGINE_NAME,
  type NodeEngine,
  type NodeEngineOptions,
  type NodeEngineSession,
  type NodeSessionOptions,
} from './engine.js';
export { createWorkerEngine, type WorkerEngine } from './worker-engine.js';
export { createSharpImageDecoder, decodeImage, DEFAULT_MAX_PIXELS, SHARP_FORMATS } from './decode-image.js';
export {
  BUILDABLE_MODELS,
  createModelDirectorySource,
  HOW_TO_BUILD,
  INSTALLED_MODELS_DIR,
  modelsDirectory,
  type ModelDirectorySource,
} from './model-dir.js';
export { NODE_PROVIDERS } from './providers.js';
export {
  createNodeApp,
  startServer,
  exitOnSignals,
  type NodeApp,
  type RunningServer,
  type ServeOptions,
} from './server.js';
export { pageAssets, PAGE_OUT } from './page-assets.js';

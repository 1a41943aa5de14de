/** The HTTP app: runtime-free (entries inject the engine, model source and image decoder). */
export {
  createApp,
  type AppControl,
  type CreateAppOptions,
  type NetlensApp,
  type PageAssets,
} from './app.js';
export {
  AppConfigSchema,
  configFromEnv,
  parseAppConfig,
  type AppConfig,
  type AppConfigInput,
} from './config.js';
export {
  ModelRegistry,
  type LoadState,
  type ModelInfo,
  type RegistryOptions,
  type Variant,
} from './registry.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export { PROBLEM_CONTENT_TYPE, problemType } from './problem.js';

/** The HTTP app: runtime-free (entries inject the engine, model source and image decoder). */
export { createApp, type AppControl, type CreateAppOptions, type NetlensApp } from './app.js';
export { type AppDeps, type AppEnv, type PageAssets, type Router, createRouter } from './env.js';
export {
  AppConfigSchema,
  appConfigFromSettings,
  parseAppConfig,
  type AppConfig,
  type AppConfigInput,
} from './config.js';
export { ModelRegistry, type LoadState, type ModelInfo, type RegistryOptions } from './registry.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export { PROBLEM_CONTENT_TYPE, problemType } from './problem.js';

/** The one settings module: every environment variable netlens reads (docs/settings.md). */
export {
  DEFAULT_MODEL,
  DEFAULT_THREAD_OLD_SPACE_MIB,
  SETTINGS,
  readSettings,
  settingsTable,
  type Host,
  type LogLevelSetting,
  type ReadSettings,
  type Runtime,
  type SettingName,
  type Settings,
} from './settings.js';
export type { ApiKeySetting, RateLimitSetting } from './kinds.js';

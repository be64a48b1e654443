export * from './config.js';
export { configSchema } from './schema.js';
export { ConfigError, loadConfig, parseConfig } from './load.js';
export { likelyMeant } from './likely-meant.js';

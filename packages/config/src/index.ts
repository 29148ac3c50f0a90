export { bool, duration, enumOf, int, list, optional, parseDuration, str, url, REQUIRED } from './fields.js';
export type { Field } from './fields.js';
export { ConfigError, parseConfig } from './parse.js';
export type { ConfigIssue, Env } from './parse.js';
export { defineConfig, engineConfig, LOG_LEVELS } from './engine.js';
export type { EngineConfig, LogLevel } from './engine.js';

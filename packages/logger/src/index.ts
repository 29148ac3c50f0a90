export { createLogger } from './logger.js';
export type { LoggerOptions } from './logger.js';
export { redactSecrets } from './redact.js';
export type { Logger } from 'pino';

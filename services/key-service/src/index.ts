export { startKeyService, type KeyService } from './service.js';
export { keyServiceConfig } from './config.js';
export { KeyAdmin, type Caller, type PublicKey } from './admin.js';
export { buildApp } from './app.js';
export { createTriggerHandler } from './triggers.js';

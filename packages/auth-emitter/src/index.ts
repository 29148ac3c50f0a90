export {
  createAuthEventEmitter,
  type AuthEventEmitter,
  type AuthEventEmitterOptions,
  type AuthEventEmitterStats,
  type LossReason,
} from './emitter.js';

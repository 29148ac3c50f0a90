export {
  authEventMessage,
  createAuthEventEmitter,
  type AuthEventProducer,
  type AuthEventEmitter,
  type AuthEventEmitterOptions,
  type AuthEventEmitterStats,
  type LossReason,
} from './emitter.js';

// The wire encoding is the contracts'; re-exported for the gateway's producer thread and bench child.
export {
  createAuthEventEmitter,
  type AuthEventProducer,
  type AuthEventEmitter,
  type AuthEventEmitterOptions,
  type AuthEventEmitterStats,
  type LossReason,
} from './emitter.js';

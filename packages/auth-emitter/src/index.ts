// The emitter, and the producers it sends through: on a worker thread (default) or the main thread.
export {
  createAuthEventEmitter,
  type AuthEventProducer,
  type AuthEventEmitter,
  type AuthEventEmitterOptions,
  type AuthEventEmitterStats,
  type LossReason,
} from './emitter.js';
export { createBackgroundProducer } from './background-producer.js';
export { createThreadedProducer } from './producer-thread.js';
export type { ProducerWorkerData } from './producer-worker.js';

export { detectorConfig, type DetectorConfig } from './config.js';
export { startDetectorWorker, type DetectorWorker } from './worker.js';
export {
  createEngine,
  candidateAlertId,
  triggerId,
  DETECTORS,
  type AlertState,
  type BatchOutcome,
  type DetectorEngine,
  type EngineOptions,
} from './engine.js';
export {
  DAY,
  HOUR,
  MINUTE,
  DEFAULT_PARAMS,
  ParamsOverride,
  TenantOverrides,
  createParamsResolver,
  mergeParams,
  type DetectorParams,
} from './params.js';
export { createGeoLookup, distanceKm, areNeighbours, type Location, type LocationLookup } from './geo.js';
export { MemoryStore } from './state/memory-store.js';
export { createRedisStore } from './state/redis-store.js';
export type { StateStore } from './state/store.js';
export { createFeedbackView, type FeedbackView } from './feedback.js';
export { loadThreatLists, parseThreatList } from './threat-lists.js';

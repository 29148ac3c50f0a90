import { parseConfig } from '@keywatch/config';
import {
  exampleAuthEvent,
  newEventId,
  toEventTime,
  type Alert,
  type AuthEvent,
  type RevocationTrigger,
} from '@keywatch/contracts';
import { prepareClickHouse, scrape, sumOf, type StackTarget } from '@keywatch/testkit/support';
import { detectorConfig } from './config.js';
import { createEngine, type EngineOptions } from './engine.js';
import { createGeoLookup } from './geo.js';
import { createParamsResolver, type ParamsOverride } from './params.js';
import { MemoryStore } from './state/memory-store.js';
import { startDetectorWorker, type DetectorWorker } from './worker.js';

// Test support (tests, the evaluation and the benchmarks): events at explicit times, the engine
// driven the way the handler drives it without engines, and the real worker started on a target.

/** Public IPs whose geoip-lite answer the tests rely on (checked by geo.test.ts). */
export const IPS = {
  berlin: '85.214.132.117', // DE, Berlin, radius 200 km
  nuremberg: '88.198.0.1', // DE, Nuremberg
  zurich: '130.59.31.248', // CH, Zurich, radius 10 km
  sydney: '203.2.218.214', // AU
  saoPaulo: '200.160.2.3', // BR
  recife: '150.161.0.1', // BR, Recife, radius 10 km
  singapore: '103.4.96.1', // SG
  amsterdam: '194.109.6.66', // NL, Amsterdam, radius 20 km
  mountainView: '216.58.214.14', // US
  parkForest: '24.1.1.1', // US, Park Forest IL, radius 10 km
  london: '212.58.244.20', // GB
  strasbourg: '62.75.128.1', // FR, Strasbourg
} as const;

/** An auth event at `at` (Unix ms) with the given fields. */
export function eventAt(at: number, overrides: Partial<AuthEvent> = {}): AuthEvent {
  return exampleAuthEvent({ ...overrides, ts: toEventTime(at) });
}

/** A fake fingerprint, 16 hex chars, distinct per `n`. */
export const fingerprint = (n: number) => n.toString(16).padStart(16, '0');

/** The engine over an in-memory store; `feed` runs batches as the handler would and keeps what was published. */
export function memoryDetector(
  options: {
    settings?: ParamsOverride;
    latenessMs?: number;
    feedback?: EngineOptions['feedback'];
    threats?: EngineOptions['threats'];
  } = {},
) {
  const store = new MemoryStore();
  const engine = createEngine({
    store,
    params: createParamsResolver(options.settings ?? {}),
    geo: createGeoLookup(),
    latenessMs: options.latenessMs ?? 60_000,
    feedback: options.feedback,
    threats: options.threats,
  });
  const published: Alert[] = [];
  const triggers: RevocationTrigger[] = [];
  const latest = new Map<string, { alert: Alert; count: number }>();
  let late = 0;
  async function feed(
    events: readonly AuthEvent[],
    { batchSize = 100 }: { partition?: string; batchSize?: number } = {},
  ) {
    for (let i = 0; i < events.length; i += batchSize) {
      const outcome = await engine.processBatch(events.slice(i, i + batchSize));
      published.push(...outcome.publish);
      triggers.push(...outcome.triggers);
      for (const t of outcome.touched) latest.set(t.alert.alert_id, { alert: t.alert, count: t.count });
      late += outcome.stats.late;
      await store.markPublished(outcome.published);
    }
  }
  return {
    store,
    feed,
    published,
    triggers,
    latest,
    get late() {
      return late;
    },
    /** Distinct alerts published, by id. */
    alerts(): Alert[] {
      return [...new Map(published.map((a) => [a.alert_id, a])).values()];
    },
    ofType(type: Alert['type']): Alert[] {
      return this.alerts().filter((a) => a.type === type);
    },
  };
}

/** A detector worker's environment on the target, in a consumer group of its own (`<groupPrefix>-<random>`). */
export function workerEnvironment(target: StackTarget, groupPrefix = 'detector'): Record<string, string> {
  return {
    KAFKA_BROKERS: target.brokers.join(','),
    CLICKHOUSE_URL: target.clickhouseUrl,
    CLICKHOUSE_DATABASE: target.database,
    REDIS_URL: target.redisUrl,
    KEYWATCH_TOPIC_PREFIX: target.topicPrefix,
    DETECTOR_REDIS_PREFIX: target.redisPrefix,
    // Alert statuses under the run's own prefix too: a test or a benchmark never reads the deployment's.
    DETECTOR_STATUS_REDIS_PREFIX: target.redisPrefix,
    DETECTOR_GROUP_ID: `${groupPrefix}-${newEventId()}`,
    DETECTOR_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  };
}

/** Starts a detector worker on the target (migrations applied first); `env` adds or overrides variables (e.g. DETECTOR_SETTINGS). */
export async function startWorkerOn(target: StackTarget, env: Record<string, string> = {}): Promise<DetectorWorker> {
  await (await prepareClickHouse(target)).close();
  const config = parseConfig(detectorConfig, { ...workerEnvironment(target), ...env });
  return startDetectorWorker(config, target.logger);
}

/** Sum of `keywatch_detector_events_total` (every result) as the worker's `/metrics` reports it. */
export async function eventsSeen(worker: Pick<DetectorWorker, 'metricsUrl'>): Promise<number> {
  return sumOf(await scrape(worker.metricsUrl), 'keywatch_detector_events_total');
}

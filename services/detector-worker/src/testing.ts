import { exampleAuthEvent, toEventTime, type Alert, type AuthEvent, type RevocationTrigger } from '@keywatch/contracts';
import { createEngine } from './engine.js';
import { createGeoLookup } from './geo.js';
import { createParamsResolver, type ParamsOverride } from './params.js';
import { MemoryStore } from './state/memory-store.js';

// Test support (unit tests and the evaluation suite): events at explicit times, and the engine
// driven the way the handler drives it, without Kafka or ClickHouse.

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
export function memoryDetector(options: { settings?: ParamsOverride; latenessMs?: number } = {}) {
  const store = new MemoryStore();
  const engine = createEngine({ store, params: createParamsResolver(options.settings ?? {}), geo: createGeoLookup(), latenessMs: options.latenessMs ?? 60_000 });
  const published: Alert[] = [];
  const triggers: RevocationTrigger[] = [];
  const latest = new Map<string, { alert: Alert; count: number }>();
  let late = 0;
  async function feed(events: readonly AuthEvent[], { batchSize = 100 }: { partition?: string; batchSize?: number } = {}) {
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

import {
  authEventMessage,
  keyFingerprint,
  newEventId,
  newKeyId,
  toEventTime,
  type AuthEvent,
  type Outcome,
} from '@keywatch/contracts';
import type { EventProducer } from '@keywatch/kafka';
import { countryPools } from './geo.js';
import { pick, seeded, weighted } from './random.js';

/** Options of {@link produceSyntheticEvents}. */
export interface SyntheticEventsOptions {
  producer: EventProducer;
  /** The auth-events topic, prefix included. */
  topic: string;
  /** Events per second to aim for. */
  rate: number;
  /** How many events in all. */
  count: number;
  /**
   * Event times start this far in the past and advance evenly to "now" (a backfill); 0 (default):
   * event time is the time of production.
   */
  backfillMs?: number;
  /** Default 20 tenants × 10 keys. */
  tenants?: number;
  keysPerTenant?: number;
  seed?: number;
  /** Events per `producer.send` (default 500). */
  batch?: number;
}

const OUTCOMES: Array<[Outcome, number, number]> = [
  ['allowed', 0.9, 200],
  ['unknown_key', 0.02, 401],
  ['insufficient_scope', 0.02, 403],
  ['rate_limited', 0.03, 429],
  ['revoked_key', 0.005, 401],
  ['expired_key', 0.005, 401],
  ['ip_not_allowed', 0.01, 403],
  ['malformed_key', 0.01, 401],
];
const ROUTES: Array<[string, string, string]> = [
  ['GET', '/v1/subscriptions', 'subscriptions:read'],
  ['GET', '/v1/customers/:id', 'customers:read'],
  ['POST', '/v1/payments', 'payments:write'],
  ['GET', '/v1/bundles', 'bundles:read'],
];

/**
 * Writes valid auth events straight to Kafka at a target rate (for the pipeline benchmarks),
 * optionally with event times in the past (backfills). Returns the events sent and the achieved rate.
 */
export async function produceSyntheticEvents(
  options: SyntheticEventsOptions,
): Promise<{ sent: number; seconds: number; rate: number }> {
  const random = seeded(options.seed ?? 7);
  const pools = countryPools(['US', 'DE', 'GB', 'FR', 'IN', 'JP', 'BR', 'AU'], 25, random);
  const ips = [...pools.values()].flat();
  const keys = Array.from({ length: (options.tenants ?? 20) * (options.keysPerTenant ?? 10) }, (_, i) => ({
    id: newKeyId(),
    tenant: `tenant_bench_${String(Math.floor(i / (options.keysPerTenant ?? 10))).padStart(3, '0')}`,
    fingerprint: keyFingerprint('synthetic', String(i)),
  }));
  const weights = OUTCOMES.map(([, w]) => w);
  const batchSize = options.batch ?? 500;
  const backfillMs = options.backfillMs ?? 0;
  const started = performance.now();
  const firstTs = Date.now() - backfillMs;
  let sent = 0;
  while (sent < options.count) {
    const n = Math.min(batchSize, options.count - sent);
    const messages = [];
    for (let i = 0; i < n; i += 1) {
      const index = sent + i;
      const [outcome, , status] = OUTCOMES[weighted(random, weights)]!;
      const key = pick(random, keys);
      const known = outcome !== 'unknown_key' && outcome !== 'malformed_key';
      const [method, route, scope] = pick(random, ROUTES);
      const ts = backfillMs > 0 ? firstTs + Math.floor((backfillMs * index) / options.count) : Date.now();
      const event: AuthEvent = {
        v: 1,
        event_id: newEventId(ts),
        ts: toEventTime(ts),
        gateway_id: 'traffic-sim',
        request_id: `req_sim_${index}`,
        tenant_id: known ? key.tenant : null,
        key_id: known ? key.id : null,
        key_type: 'secret',
        environment: 'live',
        key_fingerprint: key.fingerprint,
        outcome,
        scope,
        method,
        route,
        status,
        latency_ms: Math.round(random() * 40_000) / 1000,
        ip: pick(random, ips),
        user_agent: 'traffic-sim',
        origin: null,
        rate_limit: known ? { limit: 1000, remaining: Math.floor(random() * 1000), window_s: 60 } : null,
      };
      messages.push(authEventMessage(event));
    }
    await options.producer.send(options.topic, messages);
    sent += n;
    // Pace to the target rate: wait until the schedule catches up with what was sent.
    const due = started + (sent / options.rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const seconds = (performance.now() - started) / 1000;
  return { sent, seconds, rate: sent / seconds };
}

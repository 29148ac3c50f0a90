import type { AuthEventEmitter } from '@keywatch/auth-emitter';
import type { BreakerState } from './breaker.js';
import type { CacheInvalidator } from './invalidation.js';
import type { Decision, Keywatch } from './keywatch.js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A gateway's Prometheus metrics (one registry per instance, so several can share a process). */
export interface GatewayMetrics {
  registry: Registry;
  /** Counts one finished request. */
  observe(decision: Decision, status: number): void;
  /** Counts lost auth events (the emitter's `onDrop`). */
  dropped(count: number, reason: string): void;
}

const BREAKER_STATES: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Sets a counter to a running total kept elsewhere (the cache's and emitter's own counters). */
function mirror(counter: Counter, value: number): void {
  counter.reset();
  counter.inc(value);
}

/**
 * The gateway's `keywatch_gateway_*` metrics: requests, decision time, cache, auth events, Redis
 * failures and breaker, degraded decisions (the README's Metrics table lists them).
 */
export function createGatewayMetrics(parts: {
  keywatch: () => Keywatch;
  emitter: () => AuthEventEmitter;
  invalidator: () => CacheInvalidator;
}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  // Per request, requests are tallied in a plain map and copied into the counter when scraped:
  // prom-client's labelled `inc` (label validation, hashing) was a visible share of the gateway's CPU.
  const requestCounts = new Map<string, { outcome: string; status: string; count: number }>();
  new Counter({
    name: 'keywatch_gateway_requests_total',
    help: 'Requests by outcome and status (refusals for lack of Redis are rate_limited/429; see keywatch_gateway_degraded_total)',
    labelNames: ['outcome', 'status'],
    registers,
    collect() {
      this.reset();
      for (const { outcome, status, count } of requestCounts.values()) this.inc({ outcome, status }, count);
    },
  });
  const decision = new Histogram({
    name: 'keywatch_gateway_decision_seconds',
    help: 'Time from request to decision, by cache result',
    labelNames: ['cache'],
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25, 1],
    registers,
  });
  const decisionByCache = {
    hit: decision.labels({ cache: 'hit' }),
    miss: decision.labels({ cache: 'miss' }),
    none: decision.labels({ cache: 'none' }),
  };
  const stat = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        mirror(this, read());
      },
    });
  stat(
    'keywatch_gateway_cache_hits_total',
    'Key lookups answered by the in-process cache (incl. negative hits)',
    () => parts.keywatch().verifier.cache.stats().hits,
  );
  stat(
    'keywatch_gateway_cache_negative_hits_total',
    'Cache hits on a remembered unknown key',
    () => parts.keywatch().verifier.cache.stats().negativeHits,
  );
  stat(
    'keywatch_gateway_cache_misses_total',
    'Key lookups that went to Redis',
    () => parts.keywatch().verifier.cache.stats().misses,
  );
  stat(
    'keywatch_gateway_cache_invalidations_total',
    'Cache entries dropped by key-lifecycle events',
    () => parts.keywatch().verifier.cache.stats().invalidations,
  );
  stat(
    'keywatch_gateway_lifecycle_events_total',
    'key-lifecycle events consumed',
    () => parts.invalidator().stats().events,
  );
  stat(
    'keywatch_gateway_redis_breaker_opens_total',
    'Times the Redis circuit breaker opened (incl. failed probes)',
    () => parts.keywatch().verifier.breaker.stats().opens,
  );
  stat(
    'keywatch_gateway_redis_breaker_rejected_total',
    'Redis calls the open breaker refused without trying',
    () => parts.keywatch().verifier.breaker.stats().rejected,
  );
  stat(
    'keywatch_gateway_redis_breaker_probes_total',
    'Calls let through by the half-open breaker to probe Redis',
    () => parts.keywatch().verifier.breaker.stats().probes,
  );
  new Gauge({
    name: 'keywatch_gateway_redis_breaker_state',
    help: 'Redis circuit breaker: 0 closed, 1 half-open (probing), 2 open',
    registers,
    collect() {
      this.set(BREAKER_STATES[parts.keywatch().verifier.breaker.state()]);
    },
  });
  stat(
    'keywatch_gateway_redis_failures_total',
    'Redis calls on the request path that failed or timed out',
    () => parts.keywatch().verifier.stats().redisFailures,
  );
  stat(
    'keywatch_gateway_auth_events_emitted_total',
    'Auth events handed to the emitter',
    () => parts.emitter().stats().emitted,
  );
  stat(
    'keywatch_gateway_auth_events_sent_total',
    'Auth events acknowledged by Kafka',
    () => parts.emitter().stats().sent,
  );
  stat(
    'keywatch_gateway_auth_events_spooled_total',
    'Auth events written to the disk spool instead of dropped',
    () => parts.emitter().stats().overflowed,
  );
  new Gauge({
    name: 'keywatch_gateway_cache_entries',
    help: 'Entries in the key cache',
    registers,
    collect() {
      this.set(parts.keywatch().verifier.cache.stats().size);
    },
  });
  new Gauge({
    name: 'keywatch_gateway_auth_events_buffered',
    help: 'Auth events waiting to be sent',
    registers,
    collect() {
      const stats = parts.emitter().stats();
      this.set(stats.buffered + stats.inFlight);
    },
  });
  const degraded = new Counter({
    name: 'keywatch_gateway_degraded_total',
    help: 'Requests decided without Redis, by reason and result (allowed: a fail-open route; refused: 429 on a fail-closed one)',
    labelNames: ['reason', 'result'],
    registers,
  });
  const droppedEvents = new Counter({
    name: 'keywatch_gateway_auth_events_dropped_total',
    help: 'Auth events lost, by reason',
    labelNames: ['reason'],
    registers,
  });
  return {
    registry,
    observe(d, status) {
      const tally = `${d.outcome} ${status}`;
      const counted = requestCounts.get(tally);
      if (counted) counted.count += 1;
      else requestCounts.set(tally, { outcome: d.outcome, status: String(status), count: 1 });
      if (d.degraded) degraded.inc({ reason: d.degraded, result: d.outcome === 'allowed' ? 'allowed' : 'refused' });
      decisionByCache[d.cache ?? 'none'].observe(d.decisionMs / 1000);
    },
    dropped(count, reason) {
      droppedEvents.inc({ reason }, count);
    },
  };
}

import { bool, defineConfig, duration, int, str } from '@keywatch/config';
import type { z } from 'zod';

/** The notifier's settings (engine variables plus its own); documented in its README. */
export const notifierConfig = defineConfig({
  /** Consumer group on security-alerts; every instance joins it. Default `keywatch-notifier`. */
  NOTIFIER_GROUP_ID: str({ default: 'keywatch-notifier' }),
  /** Deployment secret that seals webhook signing secrets; the key service's value. Required, 32+ characters. */
  KEYWATCH_SECRETS_KEY: str({}).refine(
    (v) => v.length >= 32,
    'must be at least 32 characters (the key service has the same value)',
  ),
  /** Deliver to loopback, private and link-local addresses too (metadata endpoints stay refused). Default false. */
  KEYWATCH_WEBHOOK_ALLOW_PRIVATE: bool({ default: false }),
  /** BullMQ key prefix, hash-tagged for Redis Cluster; the key service's value. Default `{keywatch:notifier}`. */
  KEYWATCH_NOTIFIER_QUEUE_PREFIX: str({ default: '{keywatch:notifier}' }),
  /** Key prefix of the destinations, deliveries and alert statuses; the key service's and analytics API's. Default `keywatch:`. */
  NOTIFIER_REDIS_PREFIX: str({ default: 'keywatch:' }),
  /** Attempts per delivery before it becomes a dead letter. Default 8. */
  NOTIFIER_ATTEMPTS: int({ default: 8, min: 1, max: 100 }),
  /** First retry delay; doubles per attempt, with up to 50 % jitter (2s: 1–2 s, 2–4 s, … ≈ 4 min in all for 8 attempts). Default `2s`. */
  NOTIFIER_BACKOFF: duration({ default: '2s' }),
  /** Per request: connect, headers and body each. Default `10s`. */
  NOTIFIER_TIMEOUT: duration({ default: '10s' }),
  /** Deliveries in flight per instance. Default 16. */
  NOTIFIER_CONCURRENCY: int({ default: 16, min: 1, max: 1000 }),
  /** Requests per destination per minute (all instances together); more wait. Default 60. */
  NOTIFIER_RATE_LIMIT: int({ default: 60, min: 1, max: 100_000 }),
  /** Prometheus `/metrics` port; 0 picks a free one. Default 9466. */
  NOTIFIER_METRICS_PORT: int({ default: 9466, min: 0, max: 65_535 }),
  /** Default `127.0.0.1`. */
  NOTIFIER_METRICS_HOST: str({ default: '127.0.0.1' }),
});

export type NotifierConfig = z.output<typeof notifierConfig>;

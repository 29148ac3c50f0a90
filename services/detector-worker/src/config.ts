import { defineConfig, duration, int, str } from '@keywatch/config';
import { z } from 'zod';
import { ParamsOverride, TenantOverrides } from './params.js';

/** A JSON-valued variable checked against `schema`; unset or blank gives `fallback`. */
function json<T>(schema: z.ZodType<T>, fallback: T) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): T => {
      if (raw === undefined || raw.trim() === '') return fallback;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        ctx.addIssue('expected JSON');
        return z.NEVER;
      }
      const result = schema.safeParse(parsed);
      if (result.success) return result.data;
      ctx.addIssue(
        result.error.issues
          .map(
            (i) =>
              `${i.path.join('.') || '(root)'}: ${i.code === 'unrecognized_keys' ? `unknown ${i.keys.join(', ')}` : i.message}`,
          )
          .join('; '),
      );
      return z.NEVER;
    });
}

/** The detector worker's settings (engine variables plus its own); documented in the README. */
export const detectorConfig = defineConfig({
  /** Consumer group on auth-events; every instance joins it. Default `keywatch-detector`. */
  DETECTOR_GROUP_ID: str({ default: 'keywatch-detector' }),
  /** Bounded lateness: events older than their partition's watermark minus this are dropped. Default `60s`. */
  DETECTOR_LATENESS: duration({ default: '60s' }),
  /**
   * How long (wall clock) a processed event stays recognisable as a duplicate however far its key's
   * watermark moved since: a batch redelivered within this time (a retry, a rebalance, a restart)
   * completes exactly once. Longer holds cost memory (seen sets hold this much more traffic). Default `60s`.
   */
  DETECTOR_REDELIVERY_HOLD: duration({ default: '60s' }),
  /** Redis key prefix of the detector state (shared by all instances of one deployment). Default `keywatch:detector:`. */
  DETECTOR_REDIS_PREFIX: str({ default: 'keywatch:detector:' }),
  /** Prometheus `/metrics` port; 0 picks a free one. Default 9465. */
  DETECTOR_METRICS_PORT: int({ default: 9465, min: 0, max: 65_535 }),
  /** Default `127.0.0.1`. */
  DETECTOR_METRICS_HOST: str({ default: '127.0.0.1' }),
  /** Global overrides of the detector parameters, JSON, e.g. `{"credential_stuffing":{"medium_distinct":20}}`. */
  DETECTOR_SETTINGS: json(ParamsOverride, {}),
  /** Per-tenant overrides, JSON: `{"tenant_a":{"usage_spike":{"enabled":false}}}`. */
  DETECTOR_TENANT_SETTINGS: json(TenantOverrides, {}),
  /**
   * Upper bound on bytes fetched per partition and batch. Default 512 KiB: with 12 partitions at
   * once, 6 MiB of messages in flight (the worker's peak RSS 927–959 MB draining a backlog, 1 165
   * MB at 1 MiB).
   */
  DETECTOR_MAX_BATCH_BYTES: int({ default: 512 * 1024, min: 1024 }),
  /**
   * A fetch waits for this many bytes (or 100 ms): fewer, larger batches under load, since each
   * batch costs a fixed number of Redis calls and commits. Default 256 KiB.
   */
  DETECTOR_FETCH_MIN_BYTES: int({ default: 256 * 1024, min: 1 }),
  /**
   * Partitions' batches processed at once by one instance (each still commits only after its own
   * work). Default 12, all of auth-events' partitions: one wave of batches per fetch (see README).
   */
  DETECTOR_PARTITIONS_CONCURRENTLY: int({ default: 12, min: 1, max: 64 }),
  /**
   * State shards: Redis hash slots the state is spread over (one Lua call per shard and round of a
   * batch). Changing it moves every key: only on a fresh state prefix. Default 16.
   */
  DETECTOR_STATE_SHARDS: int({ default: 16, min: 1, max: 1024 }),
  /**
   * Redis key prefix of the alert status hot copy (`@keywatch/alerts`): the deployment's base
   * prefix, shared with the analytics API and the notifier, not the detector's state prefix.
   * Default `keywatch:`.
   */
  DETECTOR_STATUS_REDIS_PREFIX: str({ default: 'keywatch:' }),
  /**
   * How often the suppression rules and trusted networks (written by the analytics API beside the
   * alert statuses) are checked for changes: a new rule applies within this time. Default `5s`.
   */
  DETECTOR_FEEDBACK_REFRESH: duration({ default: '5s' }),
  /**
   * Platform threat lists: comma-separated paths of text files, one address or CIDR per line (`#`
   * comments). Requests from them raise `threat_list_ip`. Read at start. Default none.
   */
  DETECTOR_THREAT_LISTS: z
    .string()
    .optional()
    .transform((raw) =>
      (raw ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
});

export type DetectorConfig = z.output<typeof detectorConfig>;

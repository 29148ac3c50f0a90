import { Outcome } from '@keywatch/contracts';
import { z } from 'zod';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * Every detector's parameters, with the defaults of the issue (drawn from Entra ID Protection,
 * GuardDuty and the Elastic/Sigma rules). Durations are event-time milliseconds.
 */
export const DEFAULT_PARAMS = {
  failed_auth_spike: {
    enabled: true,
    /** Sliding event-time window of the floor. */
    window_ms: 30 * MINUTE,
    /** Failures in the window needed before anything is raised. */
    floor: 20,
    /** With a mature baseline of at least `min_baseline` failures/hour, the hour must also reach this z-score. */
    z: 3,
    min_baseline: 5,
    /** History a key or tenant needs before its baseline is trusted. */
    history_ms: 7 * DAY,
    /** Weight of the newest hour in the hourly EWMA. */
    alpha: 0.1,
    /**
     * A tenant-level alert needs failures from at least this many distinct credentials: one or two
     * failing keys (a stale key retried, a client missing a scope) are the per-key alert's job,
     * which raises them as low items, and are not alerted again for the tenant. Medium from 3
     * credentials, high from 10; a spike of fewer than 3 (only with this lowered) is low.
     */
    tenant_min_distinct: 3,
    /** Tenant severity is high from this many distinct failing credentials. */
    tenant_high_distinct: 10,
    /**
     * Per-key severity rises to medium from this many distinct source IPs, to high from `high_ips`,
     * counting the failures that are not permission failures.
     */
    medium_ips: 3,
    high_ips: 10,
    /**
     * Failures of an authenticated key asking for something it may not do: they count towards the
     * floor, but their source IPs do not raise the severity (one client missing a scope fails from
     * every office it runs in); refusals of `probe_scopes` distinct scopes in the window (probing) are medium.
     */
    permission_outcomes: ['insufficient_scope', 'environment_mismatch'] as Outcome[],
    probe_scopes: 3,
    suppression_ms: HOUR,
  },
  credential_stuffing: {
    enabled: true,
    medium_window_ms: 5 * MINUTE,
    medium_distinct: 10,
    high_window_ms: 15 * MINUTE,
    high_attempts: 25,
    high_distinct: 15,
    high_max_per_credential: 2,
    /** A success from a flagged IP this long after the attack began is critical. */
    success_after_ms: DAY,
    /** What a success from an enumerating IP asks the key service to do. */
    success_action: 'revoke' as 'suspend' | 'revoke',
    /** Failed attempts remembered per IP (bounds memory and work per event). */
    max_tracked: 1000,
    suppression_ms: HOUR,
  },
  geo_new_country: {
    enabled: true,
    lookback_ms: 30 * DAY,
    /**
     * The learning period, in event time: a key is judged for new countries only once its first
     * successful use is this long ago (a count of requests says nothing about how many places a
     * key's normal life spans: a busy key reaches any count in its first hour). Also the learning
     * period of `unfamiliar_client`. Per tenant through DETECTOR_TENANT_SETTINGS.
     */
    learning_ms: 7 * DAY,
    suppression_ms: DAY,
  },
  impossible_travel: {
    enabled: true,
    max_speed_kmh: 900,
    min_distance_km: 100,
    /** Travel is judged after this many successful uses or geo_new_country.learning_ms of history, whichever comes first. */
    learning_events: 10,
    /** How long the previous location is kept. */
    memory_ms: DAY,
    /** A key seen in this many countries (within geo_new_country.lookback_ms) is a fleet: low severity. */
    fleet_countries: 3,
    /**
     * Travel between two countries the key was already used from in geo_new_country.lookback_ms
     * (or within one such country) is not raised: its familiar places. When false, only a fleet's
     * or a border's familiar travel is ignored.
     */
    ignore_familiar: true,
    suppression_ms: 6 * HOUR,
  },
  rate_limit_violation: {
    enabled: true,
    window_ms: 5 * MINUTE,
    min_rate_limited: 50,
    min_ratio: 0.1,
    /** The ratio rule only applies to windows with at least this many requests. */
    ratio_min_requests: 20,
    suppression_ms: HOUR,
  },
  usage_spike: {
    enabled: true,
    z: 3,
    min_ratio: 5,
    min_per_hour: 100,
    history_ms: 7 * DAY,
    alpha: 0.1,
    /** The hour must also exceed this multiple of the key's decayed peak hour (weekly and daily peaks are not spikes). */
    peak_ratio: 3,
    peak_half_life_ms: 7 * DAY,
    suppression_ms: 6 * HOUR,
  },
  secret_key_client_side: {
    enabled: true,
    action: 'suspend' as 'suspend' | 'revoke' | 'none',
    suppression_ms: DAY,
  },
  unfamiliar_client: {
    enabled: true,
    /** Event time since the key's first event before its clients are judged (the learning period). */
    learning_ms: 7 * DAY,
    /** How long a family the key used stays familiar after its first use. */
    memory_ms: 90 * DAY,
    suppression_ms: DAY,
  },
  threat_list_ip: {
    enabled: true,
    suppression_ms: HOUR,
  },
  revoked_key_in_use: {
    enabled: true,
    window_ms: HOUR,
    min_uses: 3,
    /** From this many distinct source IPs the severity rises by one step. */
    spread_ips: 3,
    suppression_ms: DAY,
  },
};

export type DetectorParams = typeof DEFAULT_PARAMS;

const positive = z.number().positive();
const count = z.number().int().nonnegative();
const section = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape).partial();

/** Overrides of {@link DEFAULT_PARAMS}: any subset of any section; unknown names are refused by path. */
export const ParamsOverride = z
  .strictObject({
    failed_auth_spike: section({
      enabled: z.boolean(),
      window_ms: positive,
      floor: count,
      z: positive,
      min_baseline: z.number().nonnegative(),
      history_ms: z.number().nonnegative(),
      alpha: z.number().gt(0).lte(1),
      tenant_min_distinct: count,
      tenant_high_distinct: count,
      medium_ips: count,
      high_ips: count,
      permission_outcomes: z.array(Outcome),
      probe_scopes: z.number().int().positive(),
      suppression_ms: positive,
    }),
    credential_stuffing: section({
      enabled: z.boolean(),
      medium_window_ms: positive,
      medium_distinct: count,
      high_window_ms: positive,
      high_attempts: count,
      high_distinct: count,
      high_max_per_credential: count,
      success_after_ms: positive,
      success_action: z.enum(['suspend', 'revoke']),
      max_tracked: z.number().int().min(10).max(100_000),
      suppression_ms: positive,
    }),
    geo_new_country: section({
      enabled: z.boolean(),
      lookback_ms: positive,
      learning_ms: z.number().nonnegative(),
      suppression_ms: positive,
    }),
    impossible_travel: section({
      enabled: z.boolean(),
      max_speed_kmh: positive,
      min_distance_km: z.number().nonnegative(),
      learning_events: count,
      memory_ms: positive,
      fleet_countries: count,
      ignore_familiar: z.boolean(),
      suppression_ms: positive,
    }),
    rate_limit_violation: section({
      enabled: z.boolean(),
      window_ms: positive,
      min_rate_limited: count,
      min_ratio: z.number().gt(0).lte(1),
      ratio_min_requests: count,
      suppression_ms: positive,
    }),
    usage_spike: section({
      enabled: z.boolean(),
      z: positive,
      min_ratio: z.number().nonnegative(),
      min_per_hour: count,
      history_ms: z.number().nonnegative(),
      alpha: z.number().gt(0).lte(1),
      peak_ratio: z.number().nonnegative(),
      peak_half_life_ms: positive,
      suppression_ms: positive,
    }),
    secret_key_client_side: section({
      enabled: z.boolean(),
      action: z.enum(['suspend', 'revoke', 'none']),
      suppression_ms: positive,
    }),
    unfamiliar_client: section({
      enabled: z.boolean(),
      learning_ms: z.number().nonnegative(),
      memory_ms: positive,
      suppression_ms: positive,
    }),
    threat_list_ip: section({
      enabled: z.boolean(),
      suppression_ms: positive,
    }),
    revoked_key_in_use: section({
      enabled: z.boolean(),
      window_ms: positive,
      min_uses: z.number().int().positive(),
      spread_ips: count,
      suppression_ms: positive,
    }),
  })
  .partial();
export type ParamsOverride = z.infer<typeof ParamsOverride>;

/** Per-tenant overrides: `{ "<tenant_id>": <ParamsOverride> }`. */
export const TenantOverrides = z.record(z.string().min(1), ParamsOverride);
export type TenantOverrides = z.infer<typeof TenantOverrides>;

/** `base` with `override` laid over it, section by section. */
export function mergeParams(base: DetectorParams, override: ParamsOverride | undefined): DetectorParams {
  if (!override) return base;
  const merged = { ...base } as Record<string, object>;
  for (const [name, values] of Object.entries(override)) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the override is parsed JSON from the environment
    if (values) merged[name] = { ...(merged[name] ?? {}), ...values };
  }
  return merged as DetectorParams;
}

/**
 * Resolves the parameters that apply to a tenant: global (defaults plus `global`), then the
 * tenant's own overrides. Resolved sets are cached per tenant.
 */
export function createParamsResolver(
  global: ParamsOverride = {},
  tenants: TenantOverrides = {},
): (tenantId: string | null) => DetectorParams {
  const base = mergeParams(DEFAULT_PARAMS, global);
  const cache = new Map<string, DetectorParams>();
  return (tenantId) => {
    if (tenantId === null || !(tenantId in tenants)) return base;
    let found = cache.get(tenantId);
    if (!found) {
      found = mergeParams(base, tenants[tenantId]);
      cache.set(tenantId, found);
    }
    return found;
  };
}

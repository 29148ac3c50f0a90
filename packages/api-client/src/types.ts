/**
 * Request and response bodies of Keywatch's own HTTP APIs (the key service's admin API and the
 * analytics API). Plain types importing only the contracts' browser-safe value sets, so that browser
 * code can import them type-only;
 * `types.test.ts` checks them against the records and schemas the services answer from.
 */

import type {
  ALERT_ACTIONS,
  ALERT_TYPES,
  KEY_ENVIRONMENTS,
  KEY_STATES,
  KEY_TYPES,
  SEVERITIES,
} from '@keywatch/contracts/enums';

/** The body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

export type KeyType = (typeof KEY_TYPES)[number];
export type KeyEnvironment = (typeof KEY_ENVIRONMENTS)[number];
export type KeyState = (typeof KEY_STATES)[number];
export type Severity = (typeof SEVERITIES)[number];
export type AlertType = (typeof ALERT_TYPES)[number];
export type AlertAction = (typeof ALERT_ACTIONS)[number];
export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'dismissed' | 'confirmed';

export interface RateLimitPolicy {
  limit: number;
  window_s: number;
}

// ── key service ───────────────────────────────────────────────────────────────

/** A key as the admin API shows it: the effective state, never the hash or the secret. */
export interface ApiKey {
  id: string;
  tenant_id: string;
  environment: KeyEnvironment;
  type: KeyType;
  name: string;
  /** Scope names (`keys:manage`, `bundles:read`, …). */
  scopes: string[];
  state: KeyState;
  state_reason: string | null;
  prefix: string;
  last4: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  expires_at: string | null;
  rotated_from: string | null;
  rotated_to: string | null;
  allowed_ips: string[];
  allowed_origins: string[];
  rate_limit: RateLimitPolicy | null;
  last_used_at: string | null;
}

/** `POST /v1/keys`. */
export interface CreateKeyRequest {
  tenant_id?: string;
  type: KeyType;
  environment: KeyEnvironment;
  name: string;
  scopes?: string[];
  expires_at?: string | null;
  allowed_ips?: string[];
  allowed_origins?: string[];
  rate_limit?: RateLimitPolicy | null;
}

/** `PATCH /v1/keys/:id`: at least one field. */
export interface PatchKeyRequest {
  name?: string;
  scopes?: string[];
  allowed_ips?: string[];
  allowed_origins?: string[];
  rate_limit?: RateLimitPolicy | null;
}

/** `POST /v1/keys` (201): the secret appears in this answer only. */
export interface CreatedKey {
  key: ApiKey;
  secret: string;
}

/** `POST /v1/keys/:id/rotate` (201). */
export interface RotatedKey {
  key: ApiKey;
  secret: string;
  previous: { id: string; expires_at: string | null };
}

export interface ListKeysQuery {
  status?: KeyState;
  environment?: KeyEnvironment;
  tenant_id?: string;
  limit?: number;
}

export type KeyTransition = 'deactivate' | 'reactivate' | 'revoke';

/** One line of `GET /v1/audit`. */
export interface AuditEntry {
  /** Redis stream id, e.g. `1764300000000-0`. */
  id: string;
  ts: string;
  tenant_id: string;
  key_id: string | null;
  actor: string;
  action: string;
  reason: string | null;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  key_id?: string;
  tenant_id?: string;
  from?: string;
  to?: string;
  limit?: number;
}

/** `GET|PUT /v1/policy`: how a tenant's keys respond to revocation triggers. */
export interface TriggerPolicy {
  tenant_id: string;
  mode: 'notify_only' | 'suspend' | 'revoke';
  allow_live_revoke: boolean;
  max_actions_per_hour: number;
}

export interface PolicyRequest {
  tenant_id?: string;
  mode: TriggerPolicy['mode'];
  allow_live_revoke?: boolean;
  max_actions_per_hour?: number;
}

export type WebhookKind = 'json' | 'slack';

/** An alert destination (`/v1/webhooks`); never its signing secret. */
export interface ApiWebhook {
  id: string;
  /** Null for a platform destination. */
  tenant_id: string | null;
  /** Platform destinations only: also every tenant's alerts. */
  all_tenants?: boolean;
  url: string;
  kind: WebhookKind;
  min_severity: Severity;
  /** Empty = every type. */
  types: string[];
  created_at: string;
  updated_at: string;
}

/** `POST /v1/webhooks`. */
export interface CreateWebhookRequest {
  url: string;
  kind?: WebhookKind;
  min_severity?: Severity;
  types?: string[];
  tenant_id?: string;
  scope?: 'tenant' | 'platform';
  all_tenants?: boolean;
}

/** `POST /v1/webhooks` and `POST /v1/webhooks/:id/rotate-secret` (201): the secret appears here only. */
export interface WebhookWithSecret {
  webhook: ApiWebhook;
  secret: string;
}

export interface ListWebhooksQuery {
  tenant_id?: string;
  scope?: 'tenant' | 'platform';
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'suppressed';

/** One delivery of an alert to a destination. */
export interface ApiDelivery {
  id: string;
  webhook_id: string;
  tenant_id: string | null;
  alert_id: string;
  alert_type: string;
  severity: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  response_status: number | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

export interface ListDeliveriesQuery {
  status?: DeliveryStatus;
  limit?: number | string;
}

// ── analytics API ─────────────────────────────────────────────────────────────

/** Common query of the per-key analytics: a time range and, for the root key, a tenant. */
export interface RangeQuery {
  from?: string;
  to?: string;
  tenant_id?: string;
}

export interface UsagePoint {
  ts: string;
  requests: number;
  errors: number;
  error_rate: number;
  rate_limited: number;
  p50_latency_ms: number | null;
  p95_latency_ms: number | null;
}

/** `GET /v1/analytics/keys/:id/usage`. */
export interface UsageSeries {
  key_id: string;
  interval: 'minute' | 'hour' | 'day';
  from: string;
  to: string;
  points: UsagePoint[];
}

interface KeyRange {
  key_id: string;
  from: string;
  to: string;
}

/** `GET /v1/analytics/keys/:id/errors`. */
export interface ErrorBreakdown extends KeyRange {
  requests: number;
  errors: number;
  error_rate: number;
  rate_limited: number;
  by_outcome: Array<{ outcome: string; requests: number; share: number }>;
  by_status: Array<{ status: number; class: string; requests: number }>;
  by_status_class: Array<{ class: string; requests: number }>;
}

/** `GET /v1/analytics/keys/:id/geo`; null country, region or city = unknown. */
export interface GeoBreakdown extends KeyRange {
  countries: Array<{
    country: string | null;
    requests: number;
    errors: number;
    cities: Array<{ region: string | null; city: string | null; requests: number; errors: number }>;
  }>;
}

/** `GET /v1/analytics/keys/:id/features`. */
export interface FeatureBreakdown extends KeyRange {
  by_scope: Array<{ scope: string | null; requests: number; errors: number; error_rate: number }>;
  by_route: Array<{
    scope: string | null;
    method: string;
    route: string;
    requests: number;
    errors: number;
    error_rate: number;
  }>;
}

export interface TopKey {
  key_id: string;
  requests: number;
  errors: number;
  error_rate: number;
  rate_limited: number;
}

/** `GET /v1/analytics/keys`. */
export interface TopKeys {
  tenant_id: string;
  from: string;
  to: string;
  sort: 'requests' | 'errors' | 'error_rate';
  keys: TopKey[];
}

export interface UsageQuery extends RangeQuery {
  interval?: 'minute' | 'hour' | 'day';
}

export interface TopKeysQuery extends RangeQuery {
  sort?: 'requests' | 'errors' | 'error_rate';
  limit?: number | string;
}

/** An alert as the feed answers it: the alert contract plus count, updated_at and the status fields. */
export interface ApiAlert {
  v: 1;
  alert_id: string;
  type: AlertType;
  severity: Severity;
  tenant_id: string | null;
  key_id: string | null;
  ip: string | null;
  window_start: string;
  window_end: string;
  detected_at: string;
  summary: string;
  evidence: Record<string, unknown>;
  dedup_key: string;
  action: AlertAction;
  count: number;
  updated_at: string;
  status: AlertStatus;
  status_actor: string | null;
  status_updated_at: string | null;
}

/** `GET /v1/alerts`. */
export interface AlertsQuery {
  status?: AlertStatus;
  type?: AlertType;
  severity?: Severity;
  key_id?: string;
  from?: string;
  to?: string;
  limit?: number | string;
  tenant_id?: string;
}

export type AlertTransition = 'ack' | 'resolve';

/** `POST /v1/alerts/:id/dismiss`: why, and optionally a suppression rule made from the alert. */
export interface DismissAlertRequest {
  reason: 'false_positive' | 'expected';
  /** Silence this alert's type for its key, its source IP or the whole tenant for `for_s` seconds. */
  suppress?: { scope: 'key' | 'ip' | 'tenant'; for_s: number };
  note?: string;
}

/** `POST /v1/alerts/:id/confirm`: a confirmed compromise; the key goes through the revocation path. */
export interface ConfirmAlertRequest {
  note?: string;
}

/** The answer of dismiss and confirm. */
export interface AlertFeedback {
  alert: ApiAlert;
  /** Dismiss with `suppress`: the rule it created. */
  suppression?: Suppression;
  /** Confirm: the revocation trigger sent to the key service (which applies the tenant policy and its caps). */
  trigger?: { trigger_id: string; requested_action: 'revoke' | 'suspend' };
}

/** A suppression rule: alerts matching every field it sets are not raised until `expires_at`. */
export interface Suppression {
  id: string;
  tenant_id: string;
  type: AlertType | null;
  key_id: string | null;
  cidr: string | null;
  expires_at: string;
  reason: string;
  created_by: string;
  created_at: string;
  /** The alert it was made from (dismiss with `suppress`), else null. */
  alert_id: string | null;
}

/** `POST /v1/suppressions`: at least one of type, key_id, cidr. */
export interface CreateSuppressionRequest {
  type?: AlertType;
  key_id?: string;
  cidr?: string;
  expires_at: string;
  reason: string;
  tenant_id?: string;
}

/** `GET`/`PUT /v1/trusted-networks`: CIDRs the geography and credential-stuffing detectors do not judge. */
export interface TrustedNetworks {
  tenant_id: string;
  cidrs: string[];
  updated_at: string | null;
  updated_by: string | null;
}

/** `GET /v1/requests`: every filter optional; `ip` may be a CIDR block. */
export interface RequestsQuery {
  key_id?: string;
  ip?: string;
  country?: string;
  outcome?: string;
  status?: number | string;
  route?: string;
  scope?: string;
  from?: string;
  to?: string;
  limit?: number | string;
  cursor?: string;
  tenant_id?: string;
}

/** One request: the auth event contract plus the country and city of its address. */
export interface ApiRequest {
  v: 1;
  event_id: string;
  ts: string;
  gateway_id: string;
  request_id: string;
  tenant_id: string | null;
  key_id: string | null;
  key_type: KeyType | null;
  environment: KeyEnvironment | null;
  key_fingerprint: string | null;
  outcome: string;
  scope: string | null;
  method: string;
  route: string;
  status: number;
  latency_ms: number;
  ip: string;
  user_agent: string | null;
  origin: string | null;
  rate_limit: { limit: number; remaining: number; window_s: number } | null;
  country: string | null;
  city: string | null;
}

/** A page of request search, newest first; pass `next_cursor` as `cursor` for the next one. */
export interface RequestsPage {
  requests: ApiRequest[];
  next_cursor: string | null;
}

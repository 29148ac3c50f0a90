/**
 * Request search and alert feedback (docs/contracts.md#requests-and-suppressions): the analytics
 * API's `/v1/requests`, `/v1/alerts/:id/dismiss|confirm`, `/v1/suppressions` and
 * `/v1/trusted-networks`. Plain types, importable by browser code.
 */

import type { AlertType, KeyEnvironment, KeyType } from './types.js';

/** One request of `GET /v1/requests`: the auth event, plus where its address was placed. */
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

/** `GET /v1/requests`; `ip` may be a CIDR; `limit` at most 1000 (default 100). */
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
}

/** `GET /v1/requests` (200): newest first; `next_cursor` fetches the next page. */
export interface RequestsPage {
  requests: ApiRequest[];
  next_cursor: string | null;
}

export type DismissReason = 'false_positive' | 'expected';
export type SuppressionScope = 'key' | 'ip' | 'tenant';

/** `POST /v1/alerts/:id/dismiss`. */
export interface DismissRequest {
  reason: DismissReason;
  suppress?: { scope: SuppressionScope; for_s: number };
}

/** A rule the detector applies before raising (`/v1/suppressions`). */
export interface Suppression {
  id: string;
  tenant_id: string;
  /** Null: every alert type. */
  type: AlertType | null;
  key_id: string | null;
  cidr: string | null;
  expires_at: string;
  reason: string;
  created_by: string;
  created_at: string;
}

/** `POST /v1/suppressions`. */
export interface CreateSuppressionRequest {
  type?: AlertType;
  key_id?: string;
  cidr?: string;
  expires_at: string;
  reason: string;
}

/** `GET|PUT /v1/trusted-networks`: CIDRs the geo and stuffing detectors do not judge for the tenant. */
export interface TrustedNetworks {
  cidrs: string[];
}

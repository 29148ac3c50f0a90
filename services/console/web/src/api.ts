// The console's own same-origin API: the session cookie travels by itself, no key ever does.

export interface Capabilities {
  analytics: boolean;
  audit: boolean;
  manage: boolean;
}

export interface SessionInfo {
  tenant_id: string | null;
  capabilities: Capabilities;
  expires_at: string;
}

export type KeyState = 'active' | 'rotating' | 'deactivated' | 'suspended' | 'revoked' | 'expired';

export interface KeyRecord {
  id: string;
  tenant_id: string;
  environment: 'dev' | 'live';
  type: 'secret' | 'publishable';
  name: string;
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
  rate_limit: { limit: number; window_s: number } | null;
  last_used_at: string | null;
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

export interface TopKey {
  key_id: string;
  requests: number;
  errors: number;
  error_rate: number;
  rate_limited: number;
}

export interface ErrorBreakdown {
  requests: number;
  errors: number;
  error_rate: number;
  rate_limited: number;
  by_outcome: Array<{ outcome: string; requests: number; share: number }>;
  by_status: Array<{ status: number; class: string; requests: number }>;
}

export interface GeoBreakdown {
  countries: Array<{ country: string | null; requests: number; errors: number; cities: Array<{ region: string | null; city: string | null; requests: number; errors: number }> }>;
}

export interface FeatureBreakdown {
  by_scope: Array<{ scope: string | null; requests: number; errors: number; error_rate: number }>;
  by_route: Array<{ scope: string | null; method: string; route: string; requests: number; errors: number; error_rate: number }>;
}

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];
export const ALERT_TYPES = ['failed_auth_spike', 'credential_stuffing', 'geo_new_country', 'impossible_travel', 'rate_limit_violation', 'usage_spike', 'secret_key_client_side', 'revoked_key_in_use'] as const;

export interface Alert {
  alert_id: string;
  type: (typeof ALERT_TYPES)[number];
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
  action: 'none' | 'suspend_requested' | 'revoke_requested';
  count: number;
  updated_at: string;
  status: AlertStatus;
  status_actor: string | null;
  status_updated_at: string | null;
}

export interface AuditEntry {
  id: string;
  ts: string;
  tenant_id: string;
  key_id: string | null;
  actor: string;
  action: string;
  reason: string | null;
  details: Record<string, unknown>;
}

/** An answer other than 2xx, with the API's error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the server says the session is gone, so the app can show the sign-in page. */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'the console server did not answer; check your connection');
  }
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (!response.ok) {
    const error = new ApiError(response.status, payload?.error?.code ?? 'error', payload?.error?.message ?? `the server answered ${response.status}`);
    if (response.status === 401 && path !== '/session') onSignedOut();
    throw error;
  }
  return payload as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);

/** `?a=1&b=2` from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}

// The console's own same-origin API: the session cookie travels by itself, no key ever does.
import type { AlertType, Severity } from '@keywatch/api-client/types';

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

// The key service's and the analytics API's answers, as the API client declares them.
export type {
  AlertStatus,
  AlertType,
  ApiAlert as Alert,
  ApiKey as KeyRecord,
  AuditEntry,
  ErrorBreakdown,
  FeatureBreakdown,
  GeoBreakdown,
  KeyState,
  Severity,
  TopKey,
  UsagePoint,
} from '@keywatch/api-client/types';

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];
export const ALERT_TYPES: readonly AlertType[] = [
  'failed_auth_spike',
  'credential_stuffing',
  'geo_new_country',
  'impossible_travel',
  'rate_limit_violation',
  'usage_spike',
  'secret_key_client_side',
  'revoked_key_in_use',
];

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
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'the console server did not answer; check your connection');
  }
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      payload?.error?.code ?? 'error',
      payload?.error?.message ?? `the server answered ${response.status}`,
    );
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

// The console's own same-origin API: the session cookie travels by itself, no key ever does.
import type { ApiAlert, AlertStatus as FeedStatus, Severity } from '@keywatch/api-client/types';
import {
  ALERT_TYPES,
  KEY_ENVIRONMENTS,
  KEY_STATES,
  KEY_TYPES,
  SEVERITIES as CONTRACT_SEVERITIES,
} from '@keywatch/contracts/enums';

export interface Capabilities {
  analytics: boolean;
  audit: boolean;
  manage: boolean;
  webhooks: boolean;
}

export interface SessionInfo {
  tenant_id: string | null;
  capabilities: Capabilities;
  expires_at: string;
}

// The key service's and the analytics API's answers, as the API client declares them.
export type {
  AlertType,
  ApiDelivery as Delivery,
  ApiKey as KeyRecord,
  ApiWebhook as Webhook,
  AuditEntry,
  ErrorBreakdown,
  FeatureBreakdown,
  GeoBreakdown,
  KeyEnvironment,
  KeyState,
  KeyType,
  Severity,
  TriggerPolicy,
  TopKey,
  UsagePoint,
} from '@keywatch/api-client/types';
export type { ApiRequest, RequestsPage, Suppression, TrustedNetworks } from '@keywatch/api-client/types';
import type { DismissAlertRequest } from '@keywatch/api-client/types';
export type DismissReason = DismissAlertRequest['reason'];
export type SuppressionScope = NonNullable<DismissAlertRequest['suppress']>['scope'];

/** The feed's statuses, with the analyst's verdicts (dismissed, confirmed). */
export type AlertStatus = FeedStatus | 'dismissed' | 'confirmed';
export const ALERT_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'resolved', 'dismissed', 'confirmed'];
export type Alert = Omit<ApiAlert, 'status'> & { status: AlertStatus };

/** Most urgent first, as the console lists them. */
export const SEVERITIES: readonly Severity[] = [...CONTRACT_SEVERITIES].reverse();
export { ALERT_TYPES, KEY_ENVIRONMENTS, KEY_STATES, KEY_TYPES };
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
export const put = <T>(path: string, body: unknown) => request<T>('PUT', path, body);
export const del = (path: string) => request<undefined>('DELETE', path);

/** `?a=1&b=2` from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : '';
}

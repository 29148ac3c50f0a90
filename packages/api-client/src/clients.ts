import { sendJson, type ClientOptions, type Query, type RawRequest } from './transport.js';
import type {
  AlertFeedback,
  AlertsQuery,
  ConfirmAlertRequest,
  CreateSuppressionRequest,
  DismissAlertRequest,
  RequestsPage,
  RequestsQuery,
  Suppression,
  TrustedNetworks,
  AlertTransition,
  ApiAlert,
  ApiDelivery,
  ApiKey,
  ApiWebhook,
  AuditEntry,
  AuditQuery,
  CreatedKey,
  CreateKeyRequest,
  CreateWebhookRequest,
  ErrorBreakdown,
  FeatureBreakdown,
  GeoBreakdown,
  KeyTransition,
  ListDeliveriesQuery,
  ListKeysQuery,
  ListWebhooksQuery,
  PatchKeyRequest,
  PolicyRequest,
  RangeQuery,
  RotatedKey,
  TopKeys,
  TopKeysQuery,
  TriggerPolicy,
  UsageQuery,
  UsageSeries,
  WebhookWithSecret,
} from './types.js';

const id = encodeURIComponent;
// The typed queries are plain records of optional scalars; this widens them for the transport.
const q = (query: object | undefined): Query | undefined => query as Query | undefined;

/** The key service's admin API: keys, audit, trigger policy, alert destinations. */
export interface KeyServiceClient {
  createKey(body: CreateKeyRequest): Promise<CreatedKey>;
  listKeys(query?: ListKeysQuery): Promise<{ keys: ApiKey[] }>;
  getKey(keyId: string): Promise<{ key: ApiKey }>;
  patchKey(keyId: string, body: PatchKeyRequest): Promise<{ key: ApiKey }>;
  rotateKey(keyId: string, body?: { grace_period_s?: number }): Promise<RotatedKey>;
  /** deactivate, reactivate or revoke. */
  transitionKey(keyId: string, action: KeyTransition, body?: { reason?: string }): Promise<{ key: ApiKey }>;
  audit(query?: AuditQuery): Promise<{ entries: AuditEntry[] }>;
  getPolicy(query?: { tenant_id?: string }): Promise<{ policy: TriggerPolicy }>;
  setPolicy(body: PolicyRequest): Promise<{ policy: TriggerPolicy }>;
  listWebhooks(query?: ListWebhooksQuery): Promise<{ webhooks: ApiWebhook[] }>;
  createWebhook(body: CreateWebhookRequest): Promise<WebhookWithSecret>;
  deleteWebhook(webhookId: string): Promise<void>;
  rotateWebhookSecret(webhookId: string, body?: { grace_period_s?: number }): Promise<WebhookWithSecret>;
  listDeliveries(webhookId: string, query?: ListDeliveriesQuery): Promise<{ deliveries: ApiDelivery[] }>;
  replayDelivery(webhookId: string, deliveryId: string): Promise<{ delivery: ApiDelivery }>;
}

export function createKeyServiceClient(options: ClientOptions): KeyServiceClient {
  const call = <T>(request: RawRequest) => sendJson<T>('key service', options, request);
  return {
    createKey: (body) => call({ method: 'POST', path: '/v1/keys', body }),
    listKeys: (query) => call({ method: 'GET', path: '/v1/keys', query: q(query) }),
    getKey: (keyId) => call({ method: 'GET', path: `/v1/keys/${id(keyId)}` }),
    patchKey: (keyId, body) => call({ method: 'PATCH', path: `/v1/keys/${id(keyId)}`, body }),
    rotateKey: (keyId, body = {}) => call({ method: 'POST', path: `/v1/keys/${id(keyId)}/rotate`, body }),
    transitionKey: (keyId, action, body = {}) =>
      call({ method: 'POST', path: `/v1/keys/${id(keyId)}/${action}`, body }),
    audit: (query) => call({ method: 'GET', path: '/v1/audit', query: q(query) }),
    getPolicy: (query) => call({ method: 'GET', path: '/v1/policy', query: q(query) }),
    setPolicy: (body) => call({ method: 'PUT', path: '/v1/policy', body }),
    listWebhooks: (query) => call({ method: 'GET', path: '/v1/webhooks', query: q(query) }),
    createWebhook: (body) => call({ method: 'POST', path: '/v1/webhooks', body }),
    deleteWebhook: async (webhookId) => {
      await call({ method: 'DELETE', path: `/v1/webhooks/${id(webhookId)}` });
    },
    rotateWebhookSecret: (webhookId, body = {}) =>
      call({ method: 'POST', path: `/v1/webhooks/${id(webhookId)}/rotate-secret`, body }),
    listDeliveries: (webhookId, query) =>
      call({ method: 'GET', path: `/v1/webhooks/${id(webhookId)}/deliveries`, query: q(query) }),
    replayDelivery: (webhookId, deliveryId) =>
      call({ method: 'POST', path: `/v1/webhooks/${id(webhookId)}/deliveries/${id(deliveryId)}/replay` }),
  };
}

/** The analytics API: per-key usage analytics and the alert feed with its lifecycle. */
export interface AnalyticsClient {
  usage(keyId: string, query?: UsageQuery): Promise<UsageSeries>;
  errors(keyId: string, query?: RangeQuery): Promise<ErrorBreakdown>;
  geo(keyId: string, query?: RangeQuery): Promise<GeoBreakdown>;
  features(keyId: string, query?: RangeQuery): Promise<FeatureBreakdown>;
  topKeys(query?: TopKeysQuery): Promise<TopKeys>;
  listAlerts(query?: AlertsQuery): Promise<{ alerts: ApiAlert[] }>;
  getAlert(alertId: string): Promise<{ alert: ApiAlert }>;
  /** ack or resolve, with an optional note kept in the audit. */
  transitionAlert(alertId: string, action: AlertTransition, body?: { note?: string }): Promise<{ alert: ApiAlert }>;
  /** Needs keys:manage. */
  dismissAlert(alertId: string, body: DismissAlertRequest): Promise<AlertFeedback>;
  /** Needs keys:manage: the key goes through the revocation path under the tenant policy. */
  confirmAlert(alertId: string, body?: ConfirmAlertRequest): Promise<AlertFeedback>;
  /** Request search (analytics:read), newest first. */
  searchRequests(query?: RequestsQuery): Promise<RequestsPage>;
  listSuppressions(query?: { tenant_id?: string }): Promise<{ suppressions: Suppression[] }>;
  createSuppression(body: CreateSuppressionRequest): Promise<{ suppression: Suppression }>;
  deleteSuppression(suppressionId: string, query?: { tenant_id?: string }): Promise<void>;
  getTrustedNetworks(query?: { tenant_id?: string }): Promise<TrustedNetworks>;
  setTrustedNetworks(body: { cidrs: string[]; tenant_id?: string }): Promise<TrustedNetworks>;
  /** The tenant's own threat list (same shape as trusted networks). */
  getThreatList(query?: { tenant_id?: string }): Promise<TrustedNetworks>;
  setThreatList(body: { cidrs: string[]; tenant_id?: string }): Promise<TrustedNetworks>;
}

export function createAnalyticsClient(options: ClientOptions): AnalyticsClient {
  const call = <T>(request: RawRequest) => sendJson<T>('analytics API', options, request);
  const perKey = <T>(keyId: string, part: string, query: object | undefined) =>
    call<T>({ method: 'GET', path: `/v1/analytics/keys/${id(keyId)}/${part}`, query: q(query) });
  return {
    usage: (keyId, query) => perKey(keyId, 'usage', query),
    errors: (keyId, query) => perKey(keyId, 'errors', query),
    geo: (keyId, query) => perKey(keyId, 'geo', query),
    features: (keyId, query) => perKey(keyId, 'features', query),
    topKeys: (query) => call({ method: 'GET', path: '/v1/analytics/keys', query: q(query) }),
    listAlerts: (query) => call({ method: 'GET', path: '/v1/alerts', query: q(query) }),
    getAlert: (alertId) => call({ method: 'GET', path: `/v1/alerts/${id(alertId)}` }),
    transitionAlert: (alertId, action, body = {}) =>
      call({ method: 'POST', path: `/v1/alerts/${id(alertId)}/${action}`, body }),
    dismissAlert: (alertId, body) => call({ method: 'POST', path: `/v1/alerts/${id(alertId)}/dismiss`, body }),
    confirmAlert: (alertId, body = {}) => call({ method: 'POST', path: `/v1/alerts/${id(alertId)}/confirm`, body }),
    searchRequests: (query) => call({ method: 'GET', path: '/v1/requests', query: q(query) }),
    listSuppressions: (query) => call({ method: 'GET', path: '/v1/suppressions', query: q(query) }),
    createSuppression: (body) => call({ method: 'POST', path: '/v1/suppressions', body }),
    deleteSuppression: async (suppressionId, query) => {
      await call({ method: 'DELETE', path: `/v1/suppressions/${id(suppressionId)}`, query: q(query) });
    },
    getTrustedNetworks: (query) => call({ method: 'GET', path: '/v1/trusted-networks', query: q(query) }),
    setTrustedNetworks: (body) => call({ method: 'PUT', path: '/v1/trusted-networks', body }),
    getThreatList: (query) => call({ method: 'GET', path: '/v1/threat-list', query: q(query) }),
    setThreatList: (body) => call({ method: 'PUT', path: '/v1/threat-list', body }),
  };
}

import path from 'node:path';
import { createClickHouse, runMigrations, type ClickHouse } from '@keywatch/clickhouse';
import { parseConfig } from '@keywatch/config';
import { generateKey, hashKey, keyDisplay, newEventId, newKeyId, type Scope } from '@keywatch/contracts';
import { createKeyStore, type KeyStore } from '@keywatch/keystore';
import type { Logger } from '@keywatch/logger';
import { repoRoot, type ClickHouseFixture, type RedisFixture } from '@keywatch/testkit';
import { analyticsConfig } from './config.js';
import { startAnalyticsApi } from './service.js';

/** One event as the test writes it straight into auth_events (the ingest worker's columns). */
export interface TestEvent {
  tenant_id: string;
  key_id: string;
  ts: number;
  outcome: string;
  status: number;
  route: string;
  scope: string;
  method?: string;
  latency_ms: number;
  country: string;
  city?: string;
  /** Default 203.0.113.7. */
  ip?: string;
  event_id?: string;
  user_agent?: string;
}

/** Writes events as the ingest worker does (into auth_events_ingest); the views fill auth_events and the rollups. */
export async function insertEvents(ch: ClickHouse, events: readonly TestEvent[]): Promise<void> {
  await ch.insert(
    'auth_events_ingest',
    events.map((e) => {
      const iso = new Date(e.ts).toISOString();
      return {
        v: 1,
        event_id: e.event_id ?? newEventId(),
        ts: `${iso.slice(0, 10)} ${iso.slice(11, 19)}`,
        ts_ms: Number(iso.slice(20, 23)),
        gateway_id: 'gw-test',
        request_id: 'req_test',
        tenant_id: e.tenant_id,
        key_id: e.key_id,
        key_type: 'secret',
        environment: 'live',
        key_fingerprint: '0123456789abcdef',
        outcome: e.outcome,
        scope: e.scope,
        method: e.method ?? 'GET',
        route: e.route,
        status: e.status,
        latency_ms: e.latency_ms,
        ip: e.ip ?? '203.0.113.7',
        user_agent: e.user_agent ?? '',
        origin: '',
        rate_limit_limit: null,
        rate_limit_remaining: null,
        rate_limit_window_s: null,
        country: e.country,
        region: '',
        city: e.city ?? '',
        lat: null,
        lon: null,
        area: null,
        ua_class: '',
      };
    }),
  );
}

/** One version of an alert as the detector writes it into `security_alerts` (migration 0010). */
export interface TestAlert {
  alert_id: string;
  tenant_id: string | null;
  key_id?: string | null;
  ip?: string | null;
  type?: string;
  severity?: string;
  /** ms */
  detected_at: number;
  /** ms, default detected_at */
  updated_at?: number;
  summary?: string;
  evidence?: Record<string, unknown>;
  count?: number;
  version?: number;
}

const chTime = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** Writes alert versions the way the detector worker does. */
export async function insertAlerts(ch: ClickHouse, alerts: readonly TestAlert[]): Promise<void> {
  await ch.insert(
    'security_alerts',
    alerts.map((a, i) => ({
      alert_id: a.alert_id,
      type: a.type ?? 'failed_auth_spike',
      severity: a.severity ?? 'medium',
      tenant_id: a.tenant_id ?? '',
      key_id: a.key_id ?? '',
      ip: a.ip ?? '',
      window_start: chTime(a.detected_at - 60_000),
      window_end: chTime(a.detected_at),
      detected_at: chTime(a.detected_at),
      updated_at: chTime(a.updated_at ?? a.detected_at),
      summary: a.summary ?? `test alert ${a.alert_id}`,
      evidence: JSON.stringify(a.evidence ?? { failures: 20 }),
      dedup_key: `test|${a.alert_id}`,
      action: 'none',
      count: a.count ?? 1,
      version: a.version ?? (a.updated_at ?? a.detected_at) * 1000 + i,
    })),
  );
}

/** A key record in the test's keystore; returns its id and secret. */
export async function createTestKey(
  store: KeyStore,
  tenantId: string,
  options: { scopes?: Scope[]; type?: 'secret' | 'publishable' } = {},
): Promise<{ id: string; secret: string }> {
  const type = options.type ?? 'secret';
  const secret = generateKey({ type, environment: 'live' });
  const id = newKeyId();
  await store.create(
    {
      id,
      hash: hashKey(secret),
      tenant_id: tenantId,
      type,
      environment: 'live',
      name: 'test key',
      scopes: options.scopes ?? (type === 'secret' ? ['analytics:read'] : ['bundles:read']),
      ...keyDisplay(secret),
      expires_at: null,
      allowed_ips: [],
      allowed_origins: [],
      rate_limit: null,
    },
    'root',
  );
  return { id, secret };
}

/** A migrated database, the keystore under the test's Redis prefix and an API on a free port, plus a small client. */
export async function startTestApi(
  fixtures: { clickhouse: ClickHouseFixture; redis: RedisFixture; logger: Logger },
  env: Record<string, string> = {},
) {
  const { clickhouse, redis, logger } = fixtures;
  const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
  await runMigrations(ch, {
    directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
    database: clickhouse.database,
    logger,
  });
  const store = createKeyStore({ redis: redis.client });
  const config = parseConfig(analyticsConfig, {
    CLICKHOUSE_URL: clickhouse.url,
    CLICKHOUSE_DATABASE: clickhouse.database,
    REDIS_URL: redis.url,
    ANALYTICS_API_PORT: '0',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const api = await startAnalyticsApi(config, logger, { redisKeyPrefix: redis.prefix });

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- callers name the JSON shape they expect from the API
  async function get<T = Record<string, unknown>>(
    pathAndQuery: string,
    token: string | null,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(new URL(pathAndQuery, api.url), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- callers name the JSON shape they expect from the API
  async function post<T = Record<string, unknown>>(
    pathAndQuery: string,
    token: string | null,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(pathAndQuery, api.url), {
      method: 'POST',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  return {
    ch,
    store,
    api,
    get,
    post,
    async close() {
      await api.close();
      await ch.close();
    },
  };
}

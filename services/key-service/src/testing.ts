import { generateKey, newEventId } from '@keywatch/contracts';
import { parseConfig } from '@keywatch/config';
import path from 'node:path';
import { createClickHouse, runMigrations } from '@keywatch/clickhouse';
import { repoRoot, type ClickHouseFixture, type KafkaFixture, type RedisFixture } from '@keywatch/testkit';
import type { Logger } from '@keywatch/logger';
import { keyServiceConfig } from './config.js';
import { startKeyService, type KeyService } from './service.js';

/** A response of the admin API, body parsed. */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A key service on a free port over the test's own topics and Redis prefix, plus a small client. */
export async function startTestKeyService(
  fixtures: { kafka: KafkaFixture; redis: RedisFixture; logger: Logger; clickhouse?: ClickHouseFixture },
  env: Record<string, string> = {},
) {
  await fixtures.kafka.provision();
  // With a ClickHouse fixture, the test's database is migrated so alert rows and last uses have tables.
  if (fixtures.clickhouse) {
    const ch = createClickHouse({
      url: fixtures.clickhouse.url,
      database: fixtures.clickhouse.database,
      logger: fixtures.logger,
    });
    await runMigrations(ch, {
      directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
      database: fixtures.clickhouse.database,
      logger: fixtures.logger,
    });
    await ch.close();
  }
  const rootKey = generateKey({ type: 'secret', environment: 'live' });
  const config = parseConfig(keyServiceConfig, {
    KAFKA_BROKERS: fixtures.kafka.brokers.join(','),
    REDIS_URL: fixtures.redis.url,
    KEYWATCH_TOPIC_PREFIX: fixtures.kafka.prefix,
    KEYWATCH_ROOT_KEY: rootKey,
    KEYWATCH_FINGERPRINT_SECRET: 'test-fingerprint-secret-0123456789',
    KEY_SERVICE_PORT: '0',
    KEY_SERVICE_GROUP_ID: `key-service-${newEventId()}`,
    KEY_SERVICE_EXPIRY_SWEEP: '200ms',
    // Hygiene alerts only where a test asks for them: other tests count the alerts on their topic.
    KEY_SERVICE_HYGIENE_SWEEP: '1h',
    ...(fixtures.clickhouse
      ? { CLICKHOUSE_URL: fixtures.clickhouse.url, CLICKHOUSE_DATABASE: fixtures.clickhouse.database }
      : {}),
    ...env,
  });
  const service: KeyService = await startKeyService(config, fixtures.logger, { redisKeyPrefix: fixtures.redis.prefix });

  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const response = await fetch(new URL(path, service.url), {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
  }

  /** Creates a key as root and returns its id and secret. */
  async function createKey(
    body: Record<string, unknown>,
  ): Promise<{ id: string; secret: string; key: Record<string, unknown> }> {
    const response = await call<{ key: { id: string }; secret: string }>('POST', '/v1/keys', rootKey, body);
    if (response.status !== 201) throw new Error(`create failed: ${response.status} ${JSON.stringify(response.body)}`);
    return { id: response.body.key.id, secret: response.body.secret, key: response.body.key };
  }

  return { service, url: service.url, rootKey, call, createKey, close: () => service.close() };
}

import { randomBytes } from 'node:crypto';
import { parseConfig } from '@keywatch/config';
import type { Logger } from '@keywatch/logger';
import type { KafkaFixture, RedisFixture } from '@keywatch/testkit';
import { authServerConfig } from './config.js';
import { startAuthServer, type AuthServer } from './service.js';

/** The fingerprint secret the key service's test helper uses. */
export const TEST_FINGERPRINT_SECRET = 'test-fingerprint-secret-0123456789';

/** An auth server on a free port over the test's topics and Redis prefix, lifecycle consumer joined; Redis timeout 5 s unless `env` says otherwise. */
export async function startTestAuthServer(
  fixtures: { kafka: KafkaFixture; redis: RedisFixture; logger: Logger },
  env: Record<string, string> = {},
): Promise<AuthServer> {
  const config = parseConfig(authServerConfig, {
    KAFKA_BROKERS: fixtures.kafka.brokers.join(','),
    REDIS_URL: fixtures.redis.url,
    KEYWATCH_TOPIC_PREFIX: fixtures.kafka.prefix,
    KEYWATCH_FINGERPRINT_SECRET: TEST_FINGERPRINT_SECRET,
    AUTH_SERVER_PORT: '0',
    AUTH_SERVER_ID: `test-as-${randomBytes(4).toString('hex')}`,
    // No test here is about the Redis-down policy (the SDK's tests are): on a loaded shared
    // machine a Redis call past the default 250 ms turned allowed calls into its refusals.
    AUTH_SERVER_REDIS_TIMEOUT: '5s',
    ...env,
  });
  const server = await startAuthServer(config, fixtures.logger, { redisKeyPrefix: fixtures.redis.prefix });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      server.invalidator.ready(),
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error('the lifecycle consumer did not join')), 15_000)),
      ),
    ]);
  } catch (error) {
    await server.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return server;
}

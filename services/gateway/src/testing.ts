import { randomBytes } from 'node:crypto';
import { parseConfig } from '@keywatch/config';
import type { Logger } from '@keywatch/logger';
import type { KafkaFixture, RedisFixture } from '@keywatch/testkit';
import { gatewayConfig } from './config.js';
import { startGateway, type Gateway } from './service.js';

/** The fingerprint secret the key service's test helper uses; gateways in tests must match it. */
export const TEST_FINGERPRINT_SECRET = 'test-fingerprint-secret-0123456789';

/**
 * A gateway on a free port over the test's topics and Redis prefix (the same ones as
 * `startTestKeyService`), with its lifecycle consumer joined before it resolves.
 */
export async function startTestGateway(
  fixtures: { kafka: KafkaFixture; redis: RedisFixture; logger: Logger },
  env: Record<string, string> = {},
): Promise<Gateway> {
  const config = parseConfig(gatewayConfig, {
    KAFKA_BROKERS: fixtures.kafka.brokers.join(','),
    REDIS_URL: fixtures.redis.url,
    KEYWATCH_TOPIC_PREFIX: fixtures.kafka.prefix,
    KEYWATCH_FINGERPRINT_SECRET: TEST_FINGERPRINT_SECRET,
    GATEWAY_PORT: '0',
    GATEWAY_ID: `test-gw-${randomBytes(4).toString('hex')}`,
    GATEWAY_TRUST_PROXY: 'true',
    ...env,
  });
  const gateway = await startGateway(config, fixtures.logger, { redisKeyPrefix: fixtures.redis.prefix });
  try {
    await withDeadline(gateway.invalidator.ready(), 15_000, 'the lifecycle consumer did not join');
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return gateway;
}

async function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export { pollUntil } from '@keywatch/testkit/support';

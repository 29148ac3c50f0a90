import type { EngineEndpoints } from './endpoints.js';
import { freePort as getPort } from './free-port.js';

// Keep these in step with docker-compose.yml (a test checks that they match).
export const IMAGES = {
  kafka: 'apache/kafka:4.1.1',
  clickhouse: 'clickhouse/clickhouse-server:25.8',
  redis: 'redis:7.0.15',
} as const;

/**
 * Starts Kafka (KRaft), ClickHouse and Redis with testcontainers. Kafka advertises the host port it
 * is mapped to, so that port is chosen before the container starts.
 */
export async function startContainers(
  progress: (line: string) => void,
): Promise<{ endpoints: EngineEndpoints; stop: () => Promise<void> }> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  await getContainerRuntimeClient();
  const kafkaPort = await getPort();
  progress(`starting ${IMAGES.kafka}, ${IMAGES.clickhouse}, ${IMAGES.redis} with testcontainers`);
  const [kafka, clickhouse, redis] = await Promise.all([
    new GenericContainer(IMAGES.kafka)
      .withExposedPorts({ container: 9092, host: kafkaPort })
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start(),
    new GenericContainer(IMAGES.clickhouse)
      .withEnvironment({ CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT: '1', CLICKHOUSE_SKIP_USER_SETUP: '1' })
      .withExposedPorts(8123)
      .withWaitStrategy(Wait.forHttp('/ping', 8123))
      .start(),
    new GenericContainer(IMAGES.redis)
      .withExposedPorts(6379)
      .withCommand(['redis-server', '--appendonly', 'yes'])
      .start(),
  ]);
  return {
    endpoints: {
      kafkaBrokers: [`127.0.0.1:${kafkaPort}`],
      clickhouseUrl: `http://${clickhouse.getHost()}:${clickhouse.getMappedPort(8123)}`,
      redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
      source: 'testcontainers',
    },
    stop: async () => {
      await Promise.allSettled([kafka.stop(), clickhouse.stop(), redis.stop()]);
    },
  };
}

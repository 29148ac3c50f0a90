import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { IMAGES, repoRoot } from '@keywatch/testkit/images';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: unknown };
  ports?: string[];
}

const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;

describe('docker-compose.yml', () => {
  it('pins every engine image to an explicit version, the same as the testkit uses', () => {
    for (const name of ['kafka', 'clickhouse', 'redis'] as const) {
      const image = services[name]?.image ?? '';
      expect(image, name).toMatch(/:[0-9][\w.-]*$/);
      expect(image, name).toBe(IMAGES[name]);
    }
  });

  it('runs Kafka as one KRaft node whose internal topics need one replica', () => {
    const env = services.kafka?.environment ?? {};
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('1');
    expect(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe('1');
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });

  it('pins the Kafka version the local stack fetches from Maven Central', () => {
    const pom = readFileSync(path.join(repoRoot, 'infra/local/kafka/pom.xml'), 'utf8');
    const version = /<kafka\.version>([^<]+)</.exec(pom)?.[1];
    expect(services.kafka?.image).toBe(`apache/kafka:${version}`);
  });

  it('keeps Redis durable (AOF) and never evicts key records', () => {
    const command = (services.redis?.command ?? []).join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('publishes the default ports of docs/contracts.md#environment', () => {
    expect(services.kafka?.ports).toContain('9092:9092');
    expect(services.clickhouse?.ports).toContain('8123:8123');
    expect(services.redis?.ports).toContain('6379:6379');
  });

  it('gives every long-running service a healthcheck and every Keywatch service the engine URLs', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'migrate') expect(service.healthcheck?.test, name).toBeDefined();
      if (service.image?.startsWith('keywatch:')) {
        expect(Object.keys(service.environment ?? {}), name).toEqual(
          expect.arrayContaining(['CLICKHOUSE_URL', 'KAFKA_BROKERS', 'REDIS_URL']),
        );
      }
    }
  });

  it('runs each Keywatch service that exists under services/ with `run <service>`', () => {
    const runnable = Object.values(services).flatMap((s) => (s.command?.[0] === 'run' ? [s.command[1]] : []));
    const deployables = readdirSync(path.join(repoRoot, 'services')).filter((name) =>
      existsSync(path.join(repoRoot, 'services', name, 'src/main.ts')),
    );
    expect(runnable.sort()).toEqual(deployables.sort());
  });
});

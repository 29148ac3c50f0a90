import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '@keywatch/config';
import type { AuthEvent } from '@keywatch/contracts';
import { describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { gatewayConfig } from './config.js';
import { startGateway } from './service.js';
import { TEST_FINGERPRINT_SECRET } from './testing.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('gateway without Kafka', () => {
  test('starts and serves while Kafka is unreachable, and spools the auth events it cannot send', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    const spoolFile = path.join(mkdtempSync(path.join(tmpdir(), 'kw-gw-spool-')), 'auth-events.ndjson');
    const config = parseConfig(gatewayConfig, {
      KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`,
      REDIS_URL: redis.url,
      KEYWATCH_FINGERPRINT_SECRET: TEST_FINGERPRINT_SECRET,
      GATEWAY_PORT: '0',
      GATEWAY_ID: 'test-gw-no-kafka',
      GATEWAY_EVENT_BUFFER: '2',
      GATEWAY_EVENT_SPOOL_FILE: spoolFile,
    });
    const started = performance.now();
    const gateway = await startGateway(config, logger, { redisKeyPrefix: redis.prefix });
    let closed = false;
    try {
      expect(performance.now() - started, 'boot does not wait for Kafka').toBeLessThan(3000);
      const key = await ks.createKey({
        tenant_id: 'tenant_gw_nokafka',
        type: 'secret',
        environment: 'live',
        name: 'k',
        scopes: ['subscriptions:read'],
      });
      const statuses = [];
      for (let i = 0; i < 6; i += 1)
        statuses.push(
          (
            await fetch(new URL('/v1/subscriptions', gateway.url), {
              headers: { authorization: `Bearer ${key.secret}` },
            })
          ).status,
        );
      statuses.push((await fetch(new URL('/v1/subscriptions', gateway.url))).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 401]);
      const closing = performance.now();
      await gateway.close();
      closed = true;
      expect(performance.now() - closing, 'close is bounded (emitter close timeout)').toBeLessThan(10_000);
      const spooled = readFileSync(spoolFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as AuthEvent);
      // Nothing lost: what Kafka never took is in the spool, ready to be replayed.
      expect(spooled.map((e) => e.outcome).sort()).toEqual([
        'allowed',
        'allowed',
        'allowed',
        'allowed',
        'allowed',
        'allowed',
        'missing_key',
      ]);
      expect(spooled.every((e) => e.gateway_id === 'test-gw-no-kafka')).toBe(true);
    } finally {
      if (!closed) await gateway.close();
      await ks.close();
    }
  });
});

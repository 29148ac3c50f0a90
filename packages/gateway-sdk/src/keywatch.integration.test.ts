import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthEventEmitter } from '@keywatch/auth-emitter';
import { keyLifecycleMessageKey, type AuthEvent } from '@keywatch/contracts';
import { createProducer } from '@keywatch/kafka';
import { createKeyStore } from '@keywatch/keystore';
import { createRateLimiter } from '@keywatch/ratelimit';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import { newTestKey } from '@keywatch/keystore/testing';
import { createCacheInvalidator } from './invalidation.js';
import { createKeywatch } from './keywatch.js';
import { keywatchMiddleware } from './middleware.js';

describe('gateway SDK on real Redis and Kafka', () => {
  test('verifies from the keystore, serves from the cache, and drops the entry on a lifecycle event', async ({
    kafka,
    redis,
    logger,
  }) => {
    await kafka.provision();
    const store = createKeyStore({ redis: redis.client });
    const producer = await createProducer(kafka.kafka);
    const emitter = createAuthEventEmitter({ producer, topic: kafka.topics.authEvents, logger, flushIntervalMs: 10 });
    const keywatch = createKeywatch({
      gatewayId: 'sdk-it',
      environment: 'live',
      routes: [{ method: 'GET', route: '/v1/subscriptions', scope: 'subscriptions:read' }],
      store,
      limiter: createRateLimiter({ redis: redis.client }),
      fingerprintSecret: 'sdk-integration-fingerprint-secret',
      logger,
      emit: (event) => emitter.emit(event),
    });
    const invalidator = createCacheInvalidator({
      kafka: kafka.kafka,
      topic: kafka.topics.keyLifecycle,
      groupId: `gateway-sdk-it-${Date.now()}`,
      cache: keywatch.verifier.cache,
      logger,
    });
    const middleware = keywatchMiddleware({ keywatch });
    const server = http.createServer((req, res) => middleware(req, res, () => res.end('{}')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/subscriptions`;
    try {
      await invalidator.start();
      await invalidator.ready();
      const { key, secret } = newTestKey({ allowed_ips: [], rate_limit: { limit: 100, window_s: 60 } });
      await store.create(key, 'root');
      const call = async () => {
        const response = await fetch(url, { headers: { authorization: `Bearer ${secret}` } });
        await response.arrayBuffer();
        return { status: response.status, requestId: response.headers.get('x-request-id')! };
      };
      const first = await call();
      expect(first.status).toBe(200);
      await store.transition(key.id, 'revoke', 'root', 'test');
      // Redis says revoked, the cache still says active: only the lifecycle event may change that.
      expect((await call()).status).toBe(200);
      expect(keywatch.verifier.cache.stats().hits).toBe(1);

      const pending = await store.readOutbox('sdk-it', 10, 0);
      await producer.send(
        kafka.topics.keyLifecycle,
        pending.map((p) => ({ key: keyLifecycleMessageKey(p.event), value: JSON.stringify(p.event) })),
      );
      let last = first;
      for (let i = 0; i < 500 && last.status !== 401; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        last = await call();
      }
      expect(last.status).toBe(401);
      expect(invalidator.stats().events).toBe(pending.length);
      expect(keywatch.verifier.cache.stats().invalidations).toBe(1);

      await emitter.flush();
      const messages = await collectMessages<AuthEvent>(kafka.kafka, kafka.topics.authEvents, (all) =>
        all.some((m) => m.value?.request_id === last.requestId),
      );
      const outcomes = new Map(messages.map((m) => [m.value!.request_id, m.value!]));
      expect(outcomes.get(first.requestId)).toMatchObject({
        outcome: 'allowed',
        status: 200,
        key_id: key.id,
        tenant_id: key.tenant_id,
        rate_limit: { limit: 100, remaining: 99, window_s: 60 },
      });
      expect(outcomes.get(last.requestId)).toMatchObject({ outcome: 'revoked_key', status: 401, key_id: key.id });
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await invalidator.close();
      await emitter.close();
      await producer.close();
    }
  });
});

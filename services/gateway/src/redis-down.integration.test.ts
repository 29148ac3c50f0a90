import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { AuthEvent } from '@keywatch/contracts';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { pollUntil, startTestGateway } from './testing.js';

/**
 * A TCP relay between the gateway and the real Redis that the test can make hang (stop reading:
 * commands wait in the socket buffers, as on an overloaded server) or go down (connections reset and
 * refused). The shared Redis itself is never touched.
 */
async function redisRelay(target: URL) {
  const pairs = new Set<{ client: net.Socket; server: net.Socket }>();
  let mode: 'up' | 'hang' | 'down' = 'up';
  const relay = net.createServer((client) => {
    if (mode === 'down') return client.destroy();
    const server = net.connect(Number(target.port || 6379), target.hostname);
    const pair = { client, server };
    pairs.add(pair);
    client.pipe(server);
    server.pipe(client);
    if (mode === 'hang') client.pause();
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('error', drop).on('close', drop);
    server.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const port = (relay.address() as net.AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    set(next: 'up' | 'hang' | 'down') {
      mode = next;
      for (const pair of pairs) {
        if (next === 'hang') pair.client.pause();
        if (next === 'up') pair.client.resume();
        if (next === 'down') pair.client.destroy();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) pair.client.destroy();
        relay.close(() => resolve());
      }),
  };
}

describe('Redis-down policy', () => {
  test('fails closed (429 rate_limited, Retry-After) by default and open on routes configured so, within the timeout; the breaker then stops calling Redis', async ({
    kafka,
    redis,
    logger,
  }) => {
    const relay = await redisRelay(new URL(redis.url));
    const ks = await startTestKeyService({ kafka, redis, logger });
    const gateway = await startTestGateway(
      { kafka, redis: { ...redis, url: relay.url }, logger },
      { GATEWAY_REDIS_TIMEOUT: '200ms', GATEWAY_REDIS_BREAKER_FAILURES: '3', GATEWAY_REDIS_BREAKER_OPEN: '1s' },
    );
    const call = async (path: string, key: string | null) => {
      const started = performance.now();
      const response = await fetch(new URL(path, gateway.url), {
        headers: key ? { authorization: `Bearer ${key}` } : {},
      });
      const body = (await response.json()) as { error?: { code: string } };
      return {
        status: response.status,
        code: body.error?.code ?? null,
        retryAfter: response.headers.get('retry-after'),
        ms: performance.now() - started,
        requestId: response.headers.get('x-request-id')!,
      };
    };
    try {
      const cached = await ks.createKey({
        tenant_id: 'tenant_gw_redis',
        type: 'secret',
        environment: 'live',
        name: 'cached, unlimited',
        scopes: ['subscriptions:read'],
      });
      const cachedLimited = await ks.createKey({
        tenant_id: 'tenant_gw_redis',
        type: 'secret',
        environment: 'live',
        name: 'cached, limited',
        scopes: ['subscriptions:read'],
        rate_limit: { limit: 100, window_s: 60 },
      });
      const uncached = {
        hang: {
          cold: await ks.createKey({
            tenant_id: 'tenant_gw_redis',
            type: 'secret',
            environment: 'live',
            name: 'never seen 1',
            scopes: ['subscriptions:read'],
          }),
          web: await ks.createKey({
            tenant_id: 'tenant_gw_redis',
            type: 'publishable',
            environment: 'live',
            name: 'web 1',
          }),
        },
        down: {
          cold: await ks.createKey({
            tenant_id: 'tenant_gw_redis',
            type: 'secret',
            environment: 'live',
            name: 'never seen 2',
            scopes: ['subscriptions:read'],
          }),
          web: await ks.createKey({
            tenant_id: 'tenant_gw_redis',
            type: 'publishable',
            environment: 'live',
            name: 'web 2',
          }),
        },
      };
      expect(await pollUntil(() => gateway.invalidator.stats().events >= 6, 5000)).toBe(true);
      expect((await call('/v1/subscriptions', cached.secret)).status).toBe(200);
      expect((await call('/v1/subscriptions', cachedLimited.secret)).status).toBe(200);

      for (const mode of ['hang', 'down'] as const) {
        const { cold, web } = uncached[mode];
        relay.set(mode);
        const results = {
          // Fail closed (default): an uncached key cannot be verified → 429 rate_limited, no upstream call.
          coldClosed: await call('/v1/subscriptions', cold.secret),
          // A cached key whose check needs no Redis is still fully verified from the cache…
          cachedNoLimit: await call('/v1/subscriptions', cached.secret),
          // …but its rate limit lives in Redis: fail closed.
          cachedLimited: await call('/v1/subscriptions', cachedLimited.secret),
          // GET /v1/bundles fails open in the default route table: let through unverified.
          coldOpen: await call('/v1/bundles', web.secret),
          // Checks that need no Redis still apply.
          malformedOpen: await call('/v1/bundles', 'sk_live_not-a-key'),
          missing: await call('/v1/subscriptions', null),
        };
        process.stdout.write(
          `[redis-${mode}] ${Object.entries(results)
            .map(([name, r]) => `${name} ${r.status} in ${r.ms.toFixed(0)} ms`)
            .join(', ')}\n`,
        );
        expect(results.coldClosed).toMatchObject({ status: 429, code: 'rate_limited' });
        expect(Number(results.coldClosed.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(results.cachedNoLimit.status).toBe(200);
        expect(results.cachedLimited).toMatchObject({ status: 429, code: 'rate_limited' });
        expect(results.coldOpen.status).toBe(200);
        expect(results.malformedOpen).toMatchObject({ status: 401, code: 'malformed_key' });
        expect(results.missing).toMatchObject({ status: 401, code: 'missing_key' });
        // The 200 ms timeout bounds every request, with room for a loaded CI machine.
        for (const r of Object.values(results)) expect(r.ms).toBeLessThan(1000);
        if (mode === 'hang') {
          const openEvent = results.coldOpen.requestId;
          const messages = await collectMessages<AuthEvent>(kafka.kafka, kafka.topics.authEvents, (all) =>
            all.some((m) => m.value?.request_id === openEvent),
          );
          const event = messages.find((m) => m.value?.request_id === openEvent)?.value;
          expect(event).toMatchObject({
            outcome: 'allowed',
            status: 200,
            key_id: null,
            tenant_id: null,
            key_type: 'publishable',
            route: '/v1/bundles',
          });
          // The refusal is a contract-valid event: rate_limited, 429, no limit state, the key unknown.
          const refusedEvents = await collectMessages<AuthEvent>(kafka.kafka, kafka.topics.authEvents, (all) =>
            [results.cachedLimited.requestId, results.coldClosed.requestId].every((id) =>
              all.some((m) => m.value?.request_id === id),
            ),
          );
          const refusedCold = refusedEvents.find((m) => m.value?.request_id === results.coldClosed.requestId)?.value;
          const refusedCached = refusedEvents.find(
            (m) => m.value?.request_id === results.cachedLimited.requestId,
          )?.value;
          expect(AuthEvent.safeParse(refusedCold).success).toBe(true);
          expect(refusedCold).toMatchObject({
            outcome: 'rate_limited',
            status: 429,
            key_id: null,
            rate_limit: null,
            key_type: 'secret',
          });
          expect(refusedCached).toMatchObject({
            outcome: 'rate_limited',
            status: 429,
            key_id: cachedLimited.id,
            rate_limit: null,
          });

          // Three failures opened the breaker: from now on Redis is not called at all.
          expect(gateway.keywatch.verifier.breaker.state()).toBe('open');
          const failures = gateway.keywatch.verifier.stats().redisFailures;
          const rejected = gateway.keywatch.verifier.breaker.stats().rejected;
          const burst = await Promise.all(Array.from({ length: 20 }, () => call('/v1/subscriptions', cold.secret)));
          expect(burst.every((r) => r.status === 429 && r.code === 'rate_limited')).toBe(true);
          expect(gateway.keywatch.verifier.stats().redisFailures).toBe(failures);
          expect(gateway.keywatch.verifier.breaker.stats().rejected).toBeGreaterThanOrEqual(rejected + 20);
          const open = await (await fetch(new URL('/metrics', gateway.url))).text();
          expect(open).toMatch(/keywatch_gateway_redis_breaker_state 2/);
        }
        relay.set('up');
        // Recovery: the same uncached key verifies once Redis answers again.
        expect(
          await pollUntil(async () => (await call('/v1/subscriptions', cold.secret)).status === 200, 10_000, 50),
        ).toBe(true);
      }
      expect(gateway.keywatch.verifier.stats().redisFailures).toBeGreaterThan(0);
      const metrics = await (await fetch(new URL('/metrics', gateway.url))).text();
      expect(metrics).toMatch(/keywatch_gateway_requests_total\{outcome="rate_limited",status="429"\} [1-9]/);
      expect(metrics).toMatch(/keywatch_gateway_degraded_total\{reason="redis_unavailable",result="refused"\} [1-9]/);
      expect(metrics).toMatch(/keywatch_gateway_degraded_total\{reason="redis_unavailable",result="allowed"\} [1-9]/);
      expect(metrics).toMatch(/keywatch_gateway_redis_breaker_opens_total [1-9]/);
      expect(metrics).toMatch(/keywatch_gateway_redis_breaker_state 0/);
      expect(metrics).toMatch(/keywatch_gateway_redis_failures_total [1-9]/);
    } finally {
      await gateway.close();
      await ks.close();
      await relay.close();
    }
  });
});

import { describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { startTestGateway } from './testing.js';

describe('rate limit across gateway instances', () => {
  test('200 concurrent requests split over two gateways let exactly the limit through', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    // Exactness is under test, not the timeout: a generous one keeps a loaded machine's slow Redis
    // from turning a request into a fail-closed refusal.
    const env = { GATEWAY_REDIS_TIMEOUT: '2s' };
    const gateways = await Promise.all([
      startTestGateway({ kafka, redis, logger }, env),
      startTestGateway({ kafka, redis, logger }, env),
    ]);
    try {
      const limit = 50;
      const key = await ks.createKey({
        tenant_id: 'tenant_gw_ratelimit',
        type: 'secret',
        environment: 'live',
        name: 'limited',
        scopes: ['subscriptions:read'],
        rate_limit: { limit, window_s: 3600 },
      });
      const responses = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const response = await fetch(new URL('/v1/subscriptions', gateways[i % 2]!.url), {
            headers: { authorization: `Bearer ${key.secret}` },
          });
          await response.arrayBuffer();
          return {
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
            remaining: response.headers.get('ratelimit-remaining'),
            gateway: i % 2,
          };
        }),
      );
      const allowed = responses.filter((r) => r.status === 200);
      const limited = responses.filter((r) => r.status === 429);
      process.stdout.write(
        `[ratelimit] allowed ${allowed.length} (gateway A ${allowed.filter((r) => r.gateway === 0).length}, B ${allowed.filter((r) => r.gateway === 1).length}), refused ${limited.length}\n`,
      );
      expect(allowed).toHaveLength(limit);
      expect(limited).toHaveLength(200 - limit);
      for (const r of limited) {
        expect(r.remaining).toBe('0');
        expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      // Every remaining count from 0 to limit-1 was handed out exactly once: no double spend.
      expect(allowed.map((r) => Number(r.remaining)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: limit }, (_, i) => i),
      );
    } finally {
      // eslint-disable-next-line @typescript-eslint/await-thenable -- Closeable.close() may return a promise
      await Promise.all(gateways.map((g) => g.close()));
      await ks.close();
    }
  });
});

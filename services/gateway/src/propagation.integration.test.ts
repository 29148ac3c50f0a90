import { performance } from 'node:perf_hooks';
import { describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { pollUntil, startTestGateway } from './testing.js';

describe('revocation propagation', () => {
  test('a key revoked through the key service is refused by two gateway instances, each measured', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    const gateways = await Promise.all([
      startTestGateway({ kafka, redis, logger }),
      startTestGateway({ kafka, redis, logger }),
    ]);
    try {
      const key = await ks.createKey({
        tenant_id: 'tenant_gw_propagation',
        type: 'secret',
        environment: 'live',
        name: 'soon revoked',
        scopes: ['subscriptions:read'],
      });
      const call = async (url: string) =>
        (await fetch(new URL('/v1/subscriptions', url), { headers: { authorization: `Bearer ${key.secret}` } })).status;
      // The key's `created` event drops nothing but could race the warm-up below; let it pass first.
      for (const gateway of gateways)
        expect(await pollUntil(() => gateway.invalidator.stats().events >= 1, 5000)).toBe(true);
      // Both gateways have the key cached as active: from here only the lifecycle event can change their answer.
      for (const gateway of gateways) {
        expect(await call(gateway.url)).toBe(200);
        expect(await call(gateway.url)).toBe(200);
        expect(gateway.keywatch.verifier.cache.stats().hits).toBeGreaterThan(0);
      }

      const revokedAt = performance.now();
      expect((await ks.call('POST', `/v1/keys/${key.id}/revoke`, ks.rootKey, { reason: 'leaked' })).status).toBe(200);
      const acknowledgedMs = performance.now() - revokedAt;
      const seenAfterMs = await Promise.all(
        gateways.map(async (gateway) => {
          const seen = await pollUntil(async () => (await call(gateway.url)) === 401, 5000, 5);
          return seen ? performance.now() - revokedAt : Number.POSITIVE_INFINITY;
        }),
      );
      process.stdout.write(
        `[propagation] revoke answered in ${acknowledgedMs.toFixed(1)} ms; refused by gateway A after ${seenAfterMs[0]!.toFixed(1)} ms, gateway B after ${seenAfterMs[1]!.toFixed(1)} ms\n`,
      );
      for (const ms of seenAfterMs) expect(ms).toBeLessThan(5000);
      for (const gateway of gateways)
        expect(gateway.keywatch.verifier.cache.stats().invalidations).toBeGreaterThanOrEqual(1);
    } finally {
      // eslint-disable-next-line @typescript-eslint/await-thenable -- Closeable.close() may return a promise
      await Promise.all(gateways.map((g) => g.close()));
      await ks.close();
    }
  });
});

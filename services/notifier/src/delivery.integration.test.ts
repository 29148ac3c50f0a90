import { describe, expect, test } from '@keywatch/testkit';
import { pollUntil, startTestNotifier, startWebhookStack, testAlert } from './testing.js';

const TENANT = 'tenant_dev_delivery';

describe('delivery', () => {
  test('re-checks the destination against SSRF at delivery: a private address the notifier does not allow is a dead letter at once', async ({
    kafka,
    redis,
    logger,
  }) => {
    // The key service allowed the local receiver; this notifier does not.
    const env = await startWebhookStack({ kafka, redis, logger }, TENANT, {
      KEYWATCH_WEBHOOK_ALLOW_PRIVATE: 'false',
      NOTIFIER_ATTEMPTS: '5',
    });
    try {
      await env.publish(testAlert(TENANT));
      expect(await pollUntil(async () => (await env.deliveries('failed')).length === 1, 60_000)).toBe(true);
      const [dead] = await env.deliveries('failed');
      expect(dead).toMatchObject({
        attempts: 1,
        response_status: null,
        last_error: expect.stringContaining('forbidden_address'),
      });
      expect(env.receiver.requests).toEqual([]);
    } finally {
      await env.close();
    }
  });

  test('rate-limits per destination: beyond the limit deliveries wait, without spending attempts', async ({
    kafka,
    redis,
    logger,
  }) => {
    // 2 per minute: a burst of 2, then one every 30 s.
    const env = await startWebhookStack({ kafka, redis, logger }, TENANT, {
      NOTIFIER_RATE_LIMIT: '2',
      NOTIFIER_ATTEMPTS: '1',
    });
    try {
      await env.publish(testAlert(TENANT), testAlert(TENANT), testAlert(TENANT));
      expect(await pollUntil(() => env.receiver.requests.length >= 2, 60_000)).toBe(true);
      expect(await pollUntil(() => env.receiver.requests.length >= 3, 90_000)).toBe(true);
      const [first, , third] = env.receiver.requests;
      expect(third!.at - first!.at).toBeGreaterThanOrEqual(20_000);
      // One attempt allowed, yet the postponed delivery went through: waiting cost no attempt.
      expect(await pollUntil(async () => (await env.deliveries('delivered')).length === 3, 10_000)).toBe(true);
      expect((await env.deliveries('delivered')).every((d) => d.attempts === 1)).toBe(true);
    } finally {
      await env.close();
    }
  }, 150_000);

  test('shutdown lets the delivery in flight finish and records it', async ({ kafka, redis, logger }) => {
    const env = await startWebhookStack({ kafka, redis, logger }, TENANT);
    try {
      env.receiver.setDelay(1500);
      await env.publish(testAlert(TENANT));
      expect(await pollUntil(() => env.receiver.requests.length >= 1, 60_000)).toBe(true);
      await env.notifier.close();
      expect(await env.deliveries('delivered')).toHaveLength(1);
      // A fresh instance finds nothing left to do: no second request.
      const next = await startTestNotifier({ kafka, redis, logger });
      try {
        await pollUntil(() => env.receiver.requests.length > 1, 3_000);
        expect(env.receiver.requests).toHaveLength(1);
      } finally {
        await next.close();
      }
    } finally {
      await env.close();
    }
  });
});

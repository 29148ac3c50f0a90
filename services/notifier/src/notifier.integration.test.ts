import { createAlertStatusStore } from '@keywatch/alerts';
import { describe, expect, test } from '@keywatch/testkit';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '@keywatch/webhooks/signature';
import type { Delivery } from '@keywatch/webhooks';
import { pollUntil, startTestNotifier, startWebhookStack, testAlert, type TestReceiver } from './testing.js';

const TENANT = 'tenant_dev_notify';
const setup = (fixtures: Fixtures, notifierEnv: Record<string, string> = {}, hookBody: Record<string, unknown> = {}) =>
  startWebhookStack(fixtures, TENANT, notifierEnv, hookBody);
type Fixtures = Parameters<typeof startWebhookStack>[0];

const receivedFor = (receiver: TestReceiver, alertId: string) =>
  receiver.bodies().filter((b) => b.alert_id === alertId).length;

describe('notifier', () => {
  test('delivers a signed alert that the shipped verifier accepts', async ({ kafka, redis, logger }) => {
    const env = await setup({ kafka, redis, logger });
    try {
      const alert = testAlert(TENANT);
      await env.publish(alert);
      expect(await pollUntil(() => env.receiver.requests.length >= 1, 60_000)).toBe(true);
      const request = env.receiver.requests[0]!;
      expect(JSON.parse(request.rawBody)).toEqual(alert);
      expect(request.headers['content-type']).toBe('application/json');
      const header = request.headers[SIGNATURE_HEADER.toLowerCase()];
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature({ header, rawBody: request.rawBody, secrets: env.secret })).toEqual({
        ok: true,
        timestamp: expect.any(Number),
      });
      expect(
        verifyWebhookSignature({ header, rawBody: request.rawBody.replace('high', 'low'), secrets: env.secret }),
      ).toMatchObject({ ok: false, reason: 'no_matching_signature' });
      expect(await pollUntil(async () => (await env.deliveries('delivered')).length === 1, 10_000)).toBe(true);
      expect((await env.deliveries('delivered'))[0]).toMatchObject({
        alert_id: alert.alert_id,
        status: 'delivered',
        attempts: 1,
        response_status: 200,
      });
    } finally {
      await env.close();
    }
  });

  test('routes by minimum severity and type, and formats Slack messages', async ({ kafka, redis, logger }) => {
    const env = await setup(
      { kafka, redis, logger },
      {},
      { kind: 'slack', min_severity: 'high', types: ['secret_key_client_side', 'credential_stuffing'] },
    );
    try {
      const low = testAlert(TENANT, { severity: 'medium' });
      const otherType = testAlert(TENANT, { type: 'usage_spike', severity: 'critical' });
      const otherTenant = testAlert('tenant_someone_else');
      const wanted = testAlert(TENANT, {
        type: 'credential_stuffing',
        severity: 'critical',
        summary: 'Stuffing <@here> & more',
      });
      await env.publish(low, otherType, otherTenant, wanted);
      expect(await pollUntil(() => env.receiver.requests.length >= 1, 60_000)).toBe(true);
      // The three that do not match were consumed in the same batch or before; give stragglers a moment to show up.
      await pollUntil(() => env.receiver.requests.length > 1, 2_000);
      expect(env.receiver.requests).toHaveLength(1);
      const body = env.receiver.bodies()[0] as { text: string; blocks: unknown[] };
      expect(body.text).toContain('[CRITICAL] credential_stuffing');
      expect(body.text).toContain('&lt;@here&gt; &amp; more');
      expect(body.blocks.length).toBeGreaterThan(0);
      expect(
        verifyWebhookSignature({
          header: env.receiver.requests[0]!.headers['keywatch-signature'],
          rawBody: env.receiver.requests[0]!.rawBody,
          secrets: env.secret,
        }).ok,
      ).toBe(true);
    } finally {
      await env.close();
    }
  });

  test('the same alert consumed twice is delivered once; an escalation is delivered once more', async ({
    kafka,
    redis,
    logger,
  }) => {
    const env = await setup({ kafka, redis, logger });
    try {
      const alert = testAlert(TENANT, { severity: 'medium' });
      await env.publish(alert, alert);
      expect(await pollUntil(() => receivedFor(env.receiver, alert.alert_id) >= 1, 60_000)).toBe(true);
      await env.publish(alert);
      // A second notifier instance in its own group consumes the same alerts again from the start.
      const second = await startTestNotifier({ kafka, redis, logger });
      try {
        const escalated = { ...alert, severity: 'high' as const };
        await env.publish(escalated);
        expect(await pollUntil(() => receivedFor(env.receiver, alert.alert_id) >= 2, 60_000)).toBe(true);
        // Everything published has been routed once the escalation arrived (same partition, in order); wait for stragglers.
        await pollUntil(() => receivedFor(env.receiver, alert.alert_id) > 2, 3_000);
        expect(env.receiver.bodies().map((b) => b.severity)).toEqual(['medium', 'high']);
      } finally {
        await second.close();
      }
    } finally {
      await env.close();
    }
  });

  test("an acknowledged alert's repeat is not delivered again (recorded as suppressed)", async ({
    kafka,
    redis,
    logger,
  }) => {
    const env = await setup({ kafka, redis, logger });
    try {
      const alert = testAlert(TENANT, { severity: 'medium' });
      await env.publish(alert);
      expect(await pollUntil(() => env.receiver.requests.length >= 1, 60_000)).toBe(true);
      await createAlertStatusStore({ redis: redis.client }).set({
        alertId: alert.alert_id,
        tenantId: TENANT,
        status: 'acknowledged',
        actor: 'key:key_someone',
        note: 'on it',
        updatedAt: Date.now(),
      });
      await env.publish({ ...alert, severity: 'critical', evidence: { ...alert.evidence, count: 9 } });
      expect(await pollUntil(async () => (await env.deliveries('suppressed')).length === 1, 60_000)).toBe(true);
      expect((await env.deliveries('suppressed'))[0]).toMatchObject({
        alert_id: alert.alert_id,
        severity: 'critical',
        last_error: expect.stringContaining('acknowledged'),
      });
      expect(env.receiver.requests).toHaveLength(1);
    } finally {
      await env.close();
    }
  });

  test('receiver down for 20 s then back: delivered exactly once', async ({ kafka, redis, logger }) => {
    const env = await setup({ kafka, redis, logger }, { NOTIFIER_ATTEMPTS: '20', NOTIFIER_BACKOFF: '500ms' });
    try {
      await env.receiver.stop();
      const downSince = Date.now();
      const alert = testAlert(TENANT);
      await env.publish(alert);
      expect(await pollUntil(async () => (await env.deliveries('pending')).some((d) => d.attempts >= 2), 30_000)).toBe(
        true,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20_000 - (Date.now() - downSince))));
      await env.receiver.start();
      expect(await pollUntil(() => env.receiver.requests.length >= 1, 90_000)).toBe(true);
      expect(await pollUntil(async () => (await env.deliveries('delivered')).length === 1, 10_000)).toBe(true);
      const [delivered] = await env.deliveries('delivered');
      expect(delivered!.attempts).toBeGreaterThan(2);
      await pollUntil(() => env.receiver.requests.length > 1, 3_000);
      expect(env.receiver.requests).toHaveLength(1);
    } finally {
      await env.close();
    }
  }, 180_000);

  test('receiver always failing: dead letter, listed as failed, replayed after the fix and delivered', async ({
    kafka,
    redis,
    logger,
  }) => {
    const env = await setup({ kafka, redis, logger }, { NOTIFIER_ATTEMPTS: '3', NOTIFIER_BACKOFF: '100ms' });
    try {
      env.receiver.setStatus(500);
      const alert = testAlert(TENANT);
      await env.publish(alert);
      expect(await pollUntil(async () => (await env.deliveries('failed')).length === 1, 60_000)).toBe(true);
      const [dead] = await env.deliveries('failed');
      expect(dead).toMatchObject({
        alert_id: alert.alert_id,
        status: 'failed',
        attempts: 3,
        response_status: 500,
        last_error: 'the receiver answered 500',
      });
      expect(env.receiver.requests).toHaveLength(3);
      const early = await env.ks.call<{ error: { code: string } }>(
        'POST',
        `/v1/webhooks/${env.hookId}/deliveries/dlv_${'0'.repeat(32)}/replay`,
        env.ks.rootKey,
      );
      expect(early.status).toBe(404);

      env.receiver.setStatus(200);
      const replayed = await env.ks.call<{ delivery: Delivery }>(
        'POST',
        `/v1/webhooks/${env.hookId}/deliveries/${dead!.id}/replay`,
        env.ks.rootKey,
      );
      expect(replayed.status).toBe(200);
      expect(replayed.body.delivery.status).toBe('pending');
      expect(await pollUntil(async () => (await env.deliveries('delivered')).length === 1, 60_000)).toBe(true);
      expect(await env.deliveries('failed')).toEqual([]);
      expect(env.receiver.requests).toHaveLength(4);
      expect(
        verifyWebhookSignature({
          header: env.receiver.requests[3]!.headers['keywatch-signature'],
          rawBody: env.receiver.requests[3]!.rawBody,
          secrets: env.secret,
        }).ok,
      ).toBe(true);
      const again = await env.ks.call<{ error: { code: string } }>(
        'POST',
        `/v1/webhooks/${env.hookId}/deliveries/${dead!.id}/replay`,
        env.ks.rootKey,
      );
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('not_failed');
    } finally {
      await env.close();
    }
  }, 120_000);

  test('secret rotation: both signatures present during the grace period, the verifier accepts either', async ({
    kafka,
    redis,
    logger,
  }) => {
    const env = await setup({ kafka, redis, logger });
    try {
      const rotated = await env.ks.call<{ secret: string }>(
        'POST',
        `/v1/webhooks/${env.hookId}/rotate-secret`,
        env.ks.rootKey,
        { grace_period_s: 3600 },
      );
      expect(rotated.status).toBe(201);
      await env.publish(testAlert(TENANT));
      expect(await pollUntil(() => env.receiver.requests.length >= 1, 60_000)).toBe(true);
      const { headers, rawBody } = env.receiver.requests[0]!;
      const header = headers['keywatch-signature'] as string;
      expect(header.match(/v1=/g)).toHaveLength(2);
      expect(verifyWebhookSignature({ header, rawBody, secrets: env.secret }).ok).toBe(true);
      expect(verifyWebhookSignature({ header, rawBody, secrets: rotated.body.secret }).ok).toBe(true);
      expect(verifyWebhookSignature({ header, rawBody, secrets: 'whsec_unrelated' }).ok).toBe(false);

      // Grace 0 retires every older secret at once: only the newest signs.
      const again = await env.ks.call<{ secret: string }>(
        'POST',
        `/v1/webhooks/${env.hookId}/rotate-secret`,
        env.ks.rootKey,
        { grace_period_s: 0 },
      );
      await env.publish(testAlert(TENANT));
      expect(await pollUntil(() => env.receiver.requests.length >= 2, 60_000)).toBe(true);
      const second = env.receiver.requests[1]!;
      const secondHeader = second.headers['keywatch-signature'] as string;
      expect(secondHeader.match(/v1=/g)).toHaveLength(1);
      expect(
        verifyWebhookSignature({ header: secondHeader, rawBody: second.rawBody, secrets: again.body.secret }).ok,
      ).toBe(true);
      for (const retired of [rotated.body.secret, env.secret])
        expect(verifyWebhookSignature({ header: secondHeader, rawBody: second.rawBody, secrets: retired }).ok).toBe(
          false,
        );
    } finally {
      await env.close();
    }
  });
});

import { describe, expect, test } from '@keywatch/testkit';
import { deliveryId, verifyWebhookSignature, type Delivery } from '@keywatch/webhooks';
import { pollUntil, startTestReceiver, startWebhookStack, testAlert, type TestReceiver } from './testing.js';

const TENANT = 'tenant_dev_platform';
const OTHER = 'tenant_dev_platform_other';

const ids = (receiver: TestReceiver) => receiver.bodies().map((b) => b.alert_id);

describe('platform destinations', () => {
  test('a tenantless credential_stuffing alert reaches the platform destinations and no tenant destination; a tenant alert reaches its tenant and all_tenants platform destinations only', async ({
    kafka,
    redis,
    logger,
  }) => {
    // The stack's own destination belongs to TENANT (receiver `env.receiver`).
    const env = await startWebhookStack({ kafka, redis, logger }, TENANT);
    const receivers: TestReceiver[] = [];
    try {
      const open = async () => {
        const receiver = await startTestReceiver();
        receivers.push(receiver);
        return receiver;
      };
      const [everything, tenantless, otherTenant] = [await open(), await open(), await open()];
      const create = async (body: Record<string, unknown>) => {
        const created = await env.ks.call<{
          webhook: { id: string; tenant_id: string | null; all_tenants?: boolean };
          secret: string;
        }>('POST', '/v1/webhooks', env.ks.rootKey, { kind: 'json', ...body });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        return created.body;
      };
      const platformAll = await create({ scope: 'platform', url: everything.url });
      expect(platformAll.webhook).toMatchObject({ tenant_id: null, all_tenants: true });
      const platformTenantless = await create({ scope: 'platform', all_tenants: false, url: tenantless.url });
      expect(platformTenantless.webhook).toMatchObject({ tenant_id: null, all_tenants: false });
      await create({ tenant_id: OTHER, url: otherTenant.url });

      // Credential stuffing with random keys from one IP: no key, no tenant.
      const stuffing = testAlert(TENANT, {
        tenant_id: null,
        key_id: null,
        type: 'credential_stuffing',
        severity: 'critical',
        summary: '40 distinct unknown keys from 198.51.100.9 in 60 s',
        evidence: { distinct_keys: 40 },
      });
      await env.publish(stuffing);
      expect(await pollUntil(() => everything.requests.length >= 1 && tenantless.requests.length >= 1, 60_000)).toBe(
        true,
      );
      for (const [receiver, secret] of [
        [everything, platformAll.secret],
        [tenantless, platformTenantless.secret],
      ] as const) {
        const request = receiver.requests[0]!;
        expect(JSON.parse(request.rawBody)).toEqual(stuffing);
        expect(
          verifyWebhookSignature({
            header: request.headers['keywatch-signature'],
            rawBody: request.rawBody,
            secrets: secret,
          }).ok,
        ).toBe(true);
      }

      const tenantAlert = testAlert(TENANT, { severity: 'high' });
      await env.publish(tenantAlert);
      expect(await pollUntil(() => env.receiver.requests.length >= 1 && everything.requests.length >= 2, 60_000)).toBe(
        true,
      );
      // The alerts may sit on different partitions: give deliveries that should not happen a moment to show up.
      await pollUntil(
        () => tenantless.requests.length > 1 || otherTenant.requests.length > 0 || env.receiver.requests.length > 1,
        3_000,
      );

      expect(ids(env.receiver)).toEqual([tenantAlert.alert_id]);
      expect(ids(everything).sort()).toEqual([stuffing.alert_id, tenantAlert.alert_id].sort());
      expect(ids(tenantless)).toEqual([stuffing.alert_id]);
      expect(ids(otherTenant)).toEqual([]);

      // The delivery log of a platform destination (root only) names the alert's tenant, null for the tenantless one.
      expect(
        await pollUntil(
          async () =>
            (
              await env.ks.call<{ deliveries: Delivery[] }>(
                'GET',
                `/v1/webhooks/${platformAll.webhook.id}/deliveries?status=delivered`,
                env.ks.rootKey,
              )
            ).body.deliveries.length === 2,
          10_000,
        ),
      ).toBe(true);
      const logged = (
        await env.ks.call<{ deliveries: Delivery[] }>(
          'GET',
          `/v1/webhooks/${platformAll.webhook.id}/deliveries`,
          env.ks.rootKey,
        )
      ).body.deliveries;
      expect(Object.fromEntries(logged.map((d) => [d.alert_id, d.tenant_id]))).toEqual({
        [stuffing.alert_id]: null,
        [tenantAlert.alert_id]: TENANT,
      });
    } finally {
      for (const receiver of receivers) await receiver.close();
      await env.close();
    }
  }, 120_000);

  test("the worker refuses a job that would send another tenant's alert, or a tenantless one, to a tenant's destination", async ({
    kafka,
    redis,
    logger,
  }) => {
    const env = await startWebhookStack({ kafka, redis, logger }, TENANT);
    try {
      // Jobs that the router never makes, put straight into the queue.
      for (const alert of [
        testAlert(OTHER),
        testAlert(TENANT, { tenant_id: null, key_id: null, type: 'credential_stuffing' }),
      ]) {
        const id = deliveryId(alert.alert_id, env.hookId, alert.severity);
        await env.notifier.queue.add(
          alert.type,
          { delivery_id: id, webhook_id: env.hookId, tenant_id: alert.tenant_id, alert },
          { jobId: id },
        );
      }
      expect(await pollUntil(async () => (await env.deliveries('suppressed')).length === 2, 60_000)).toBe(true);
      for (const d of await env.deliveries('suppressed'))
        expect(d.last_error).toBe("the destination does not take this tenant's alerts");
      expect(env.receiver.requests).toHaveLength(0);
    } finally {
      await env.close();
    }
  }, 120_000);

  test('a platform destination dead-letters and replays like any other', async ({ kafka, redis, logger }) => {
    const env = await startWebhookStack({ kafka, redis, logger }, TENANT, {
      NOTIFIER_ATTEMPTS: '2',
      NOTIFIER_BACKOFF: '50ms',
    });
    const receiver = await startTestReceiver();
    try {
      const created = await env.ks.call<{ webhook: { id: string } }>('POST', '/v1/webhooks', env.ks.rootKey, {
        scope: 'platform',
        all_tenants: false,
        url: receiver.url,
        kind: 'json',
      });
      expect(created.status).toBe(201);
      const hookId = created.body.webhook.id;
      const deliveries = async (status: string) =>
        (
          await env.ks.call<{ deliveries: Delivery[] }>(
            'GET',
            `/v1/webhooks/${hookId}/deliveries?status=${status}`,
            env.ks.rootKey,
          )
        ).body.deliveries;
      receiver.setStatus(500);
      await env.publish(testAlert(TENANT, { tenant_id: null, key_id: null, type: 'credential_stuffing' }));
      expect(await pollUntil(async () => (await deliveries('failed')).length === 1, 60_000)).toBe(true);
      const [dead] = await deliveries('failed');
      expect(dead).toMatchObject({ webhook_id: hookId, tenant_id: null, attempts: 2, response_status: 500 });
      receiver.setStatus(200);
      const replayed = await env.ks.call<{ delivery: Delivery }>(
        'POST',
        `/v1/webhooks/${hookId}/deliveries/${dead!.id}/replay`,
        env.ks.rootKey,
      );
      expect(replayed.status).toBe(200);
      expect(await pollUntil(async () => (await deliveries('delivered')).length === 1, 60_000)).toBe(true);
      // The tenant's own destination never saw the tenantless alert.
      expect(env.receiver.requests).toHaveLength(0);
    } finally {
      await receiver.close();
      await env.close();
    }
  }, 120_000);
});

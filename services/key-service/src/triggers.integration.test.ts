import { newEventId, toEventTime, type KeyLifecycleEvent, type RevocationTrigger } from '@keywatch/contracts';
import { createProducer } from '@keywatch/kafka';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import { startTestKeyService } from './testing.js';

type Entry = {
  action: string;
  actor: string;
  reason: string | null;
  key_id: string | null;
  details: Record<string, unknown>;
};

function trigger(
  tenant: string,
  keyId: string,
  requested: 'suspend' | 'revoke',
  id = `trg_${newEventId()}`,
): RevocationTrigger {
  return {
    v: 1,
    trigger_id: id,
    ts: toEventTime(new Date()),
    tenant_id: tenant,
    key_id: keyId,
    alert_id: `alr_${newEventId()}`,
    reason: 'credential_stuffing',
    requested_action: requested,
  };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

describe('revocation triggers', () => {
  test('are applied by tenant policy, idempotently, within the hourly cap, and every decision is audited', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    const producer = await createProducer(kafka.kafka);
    const send = (t: RevocationTrigger) =>
      producer.send(kafka.topics.keyRevocationTriggers, [{ key: t.key_id, value: JSON.stringify(t) }]);
    const audit = async (tenant: string) =>
      (await ks.call<{ entries: Entry[] }>('GET', `/v1/audit?tenant_id=${tenant}`, ks.rootKey)).body.entries;
    const state = async (id: string) =>
      (await ks.call<{ key: { state: string } }>('GET', `/v1/keys/${id}`, ks.rootKey)).body.key.state;
    try {
      // Default policy: notify_only — nothing changes, the refusal is audited with its reason.
      const quiet = await ks.createKey({ tenant_id: 'tenant_notify', type: 'secret', environment: 'dev', name: 'k' });
      const t1 = trigger('tenant_notify', quiet.id, 'revoke');
      await send(t1);
      const e1 = await waitFor(
        () => audit('tenant_notify'),
        (e) => e.some((x) => x.action === 'trigger_refused'),
      );
      expect(e1.find((x) => x.action === 'trigger_refused')).toMatchObject({
        key_id: quiet.id,
        reason: 'tenant policy is notify_only',
        actor: `detector:${t1.alert_id}`,
      });
      expect(await state(quiet.id)).toBe('active');

      // suspend policy: a revoke request only suspends; a duplicate trigger is ignored.
      expect(
        (
          await ks.call('PUT', '/v1/policy', ks.rootKey, {
            tenant_id: 'tenant_suspend',
            mode: 'suspend',
            max_actions_per_hour: 2,
          })
        ).status,
      ).toBe(200);
      const [k1, k2, k3] = [
        await ks.createKey({ tenant_id: 'tenant_suspend', type: 'secret', environment: 'dev', name: 'k1' }),
        await ks.createKey({ tenant_id: 'tenant_suspend', type: 'secret', environment: 'dev', name: 'k2' }),
        await ks.createKey({ tenant_id: 'tenant_suspend', type: 'secret', environment: 'dev', name: 'k3' }),
      ];
      const t2 = trigger('tenant_suspend', k1.id, 'revoke');
      await send(t2);
      await send(t2);
      // Triggers for different keys travel on different partitions; send the next only once the
      // previous one is done, so which one meets the cap is certain.
      await waitFor(
        () => state(k1.id),
        (s) => s === 'suspended',
      );
      await send(trigger('tenant_suspend', k2.id, 'suspend'));
      await waitFor(
        () => state(k2.id),
        (s) => s === 'suspended',
      );
      await send(trigger('tenant_suspend', k3.id, 'suspend')); // third in the hour: over the cap of 2
      const e2 = await waitFor(
        () => audit('tenant_suspend'),
        (e) => e.some((x) => x.key_id === k3.id && x.action === 'trigger_refused'),
      );
      expect(await state(k1.id)).toBe('suspended');
      expect(await state(k2.id)).toBe('suspended');
      expect(await state(k3.id)).toBe('active');
      // The duplicate of t2 was recognised, not merely found to change nothing.
      expect(e2.filter((x) => x.details.trigger_id === t2.trigger_id)).toHaveLength(1);
      expect(e2.filter((x) => x.action === 'suspended' && x.key_id === k1.id)).toHaveLength(1);
      expect(e2.filter((x) => x.key_id === k1.id && x.action === 'trigger_noop')).toHaveLength(0);
      expect(e2.find((x) => x.key_id === k3.id && x.action === 'trigger_refused')?.reason).toBe(
        'hourly cap of 2 automatic actions reached',
      );
      // A person can reactivate a suspended key.
      expect(
        (await ks.call<{ key: { state: string } }>('POST', `/v1/keys/${k1.id}/reactivate`, ks.rootKey, {})).body.key
          .state,
      ).toBe('active');

      // revoke policy: dev keys are revoked; live keys only suspended unless allowed.
      await ks.call('PUT', '/v1/policy', ks.rootKey, { tenant_id: 'tenant_revoke', mode: 'revoke' });
      const dev = await ks.createKey({ tenant_id: 'tenant_revoke', type: 'secret', environment: 'dev', name: 'dev' });
      const live = await ks.createKey({
        tenant_id: 'tenant_revoke',
        type: 'secret',
        environment: 'live',
        name: 'live',
      });
      await send(trigger('tenant_revoke', dev.id, 'revoke'));
      await send(trigger('tenant_revoke', live.id, 'revoke'));
      await waitFor(
        async () => [await state(dev.id), await state(live.id)],
        ([a, b]) => a === 'revoked' && b === 'suspended',
      );
      expect(await state(dev.id)).toBe('revoked');
      expect(await state(live.id)).toBe('suspended');
      await ks.call('PUT', '/v1/policy', ks.rootKey, {
        tenant_id: 'tenant_revoke',
        mode: 'revoke',
        allow_live_revoke: true,
      });
      await send(trigger('tenant_revoke', live.id, 'revoke'));
      await waitFor(
        () => state(live.id),
        (s) => s === 'revoked',
      );
      expect(await state(live.id)).toBe('revoked');

      // Each applied action is a lifecycle event, with the detector as the actor.
      const events = await collectMessages<KeyLifecycleEvent>(
        kafka.kafka,
        kafka.topics.keyLifecycle,
        (m) => m.filter((e) => e.value?.key_id === live.id).length >= 3,
      );
      const liveEvents = events.filter((e) => e.value?.key_id === live.id).map((e) => e.value!);
      expect(liveEvents.map((e) => e.type)).toEqual(['created', 'suspended', 'revoked']);
      expect(liveEvents[1]?.actor).toMatch(/^detector:alr_/);
    } finally {
      await producer.close();
      await ks.close();
    }
  });
});

import { createAlertStatusStore, createFeedbackStore } from '@keywatch/alerts';
import type { RevocationTrigger } from '@keywatch/contracts';
import { collectMessages, expect, test } from '@keywatch/testkit';
import type { AlertView } from './alerts.js';
import { createTestKey, insertAlerts, startTestApi } from './testing.js';

const NOW = Date.now();

test('dismiss with a suppression writes the rule the detector reads, audited; rules and trusted networks are managed and audited', async ({
  clickhouse,
  redis,
  kafka,
  logger,
}) => {
  const ctx = await startTestApi(
    { clickhouse, redis, logger },
    { KAFKA_BROKERS: kafka.brokers.join(','), KEYWATCH_TOPIC_PREFIX: kafka.prefix },
  );
  try {
    const admin = await createTestKey(ctx.store, 'tenant_a', { scopes: ['audit:read', 'keys:manage'] });
    const victim = await createTestKey(ctx.store, 'tenant_a');
    await insertAlerts(ctx.ch, [
      {
        alert_id: 'alr_key',
        tenant_id: 'tenant_a',
        key_id: victim.id,
        ip: '198.51.100.7',
        type: 'usage_spike',
        detected_at: NOW - 60_000,
      },
      {
        alert_id: 'alr_ip',
        tenant_id: 'tenant_a',
        key_id: null,
        ip: '198.51.100.8',
        type: 'credential_stuffing',
        detected_at: NOW - 50_000,
      },
      { alert_id: 'alr_b', tenant_id: 'tenant_b', key_id: null, detected_at: NOW - 40_000 },
    ]);
    const feedback = createFeedbackStore({ redis: redis.client });

    // Bad bodies are named; a scope the alert cannot fill is 422; another tenant's alert is 404.
    for (const [body, field] of [
      [{}, 'reason'],
      [{ reason: 'bored' }, 'reason'],
      [{ reason: 'expected', suppress: { scope: 'key', for_s: 10 } }, 'suppress.for_s'],
      [{ reason: 'expected', suppress: { scope: 'planet', for_s: 600 } }, 'suppress.scope'],
    ] as const) {
      const bad = await ctx.post<{ error: { field?: string } }>('/v1/alerts/alr_key/dismiss', admin.secret, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error.field).toBe(field);
    }
    const noKey = await ctx.post('/v1/alerts/alr_ip/dismiss', admin.secret, {
      reason: 'expected',
      suppress: { scope: 'key', for_s: 600 },
    });
    expect(noKey.status).toBe(422);
    expect((await ctx.post('/v1/alerts/alr_b/dismiss', admin.secret, { reason: 'expected' })).status).toBe(404);

    const dismissed = await ctx.post<{ alert: AlertView; suppression: Record<string, unknown> }>(
      '/v1/alerts/alr_key/dismiss',
      admin.secret,
      { reason: 'false_positive', suppress: { scope: 'key', for_s: 3600 }, note: 'the nightly export' },
    );
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.alert).toMatchObject({ alert_id: 'alr_key', status: 'dismissed', status_actor: admin.id });
    expect(dismissed.body.suppression).toMatchObject({
      tenant_id: 'tenant_a',
      type: 'usage_spike',
      key_id: victim.id,
      cidr: null,
      alert_id: 'alr_key',
      created_by: `key:${admin.id}`,
    });
    const expires = Date.parse(String(dismissed.body.suppression.expires_at));
    expect(expires).toBeGreaterThan(Date.now() + 3500_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000);
    // The detector's view: the same rule in the store; the alert's hot status is dismissed.
    expect((await feedback.listSuppressions('tenant_a')).map((r) => r.id)).toEqual([dismissed.body.suppression.id]);
    expect((await createAlertStatusStore({ redis: redis.client }).get('alr_key'))?.status).toBe('dismissed');
    // Dismissing again changes nothing but renews the same rule (no second one); acknowledging it is refused.
    await ctx.post('/v1/alerts/alr_key/dismiss', admin.secret, {
      reason: 'false_positive',
      suppress: { scope: 'key', for_s: 3600 },
    });
    expect(await feedback.listSuppressions('tenant_a')).toHaveLength(1);
    expect((await ctx.post('/v1/alerts/alr_key/ack', admin.secret)).status).toBe(409);
    const byStatus = await ctx.get<{ alerts: AlertView[] }>('/v1/alerts?status=dismissed', admin.secret);
    expect(byStatus.body.alerts.map((a) => a.alert_id)).toEqual(['alr_key']);

    const ipRule = await ctx.post<{ suppression: { cidr: string } }>('/v1/alerts/alr_ip/dismiss', admin.secret, {
      reason: 'expected',
      suppress: { scope: 'ip', for_s: 600 },
    });
    expect(ipRule.body.suppression.cidr).toBe('198.51.100.8');

    // Rules by hand: at least one field; expiry in the future; bad CIDR named.
    for (const [body, field] of [
      [{ expires_at: new Date(NOW + 60_000).toISOString(), reason: 'x' }, 'type'],
      [{ type: 'usage_spike', expires_at: '2020-01-01T00:00:00Z', reason: 'x' }, 'expires_at'],
      [{ cidr: '10.0.0.0/40', expires_at: new Date(NOW + 60_000).toISOString(), reason: 'x' }, 'cidr'],
      [{ type: 'nonsense', expires_at: new Date(NOW + 60_000).toISOString(), reason: 'x' }, 'type'],
    ] as const) {
      const bad = await ctx.post<{ error: { field?: string } }>('/v1/suppressions', admin.secret, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error.field).toBe(field);
    }
    const made = await ctx.post<{ suppression: { id: string } }>('/v1/suppressions', admin.secret, {
      type: 'geo_new_country',
      cidr: '203.0.113.0/24',
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      reason: 'office VPN exit',
    });
    expect(made.status).toBe(201);
    const listed = await ctx.get<{ suppressions: Array<{ id: string }> }>('/v1/suppressions', admin.secret);
    expect(listed.body.suppressions).toHaveLength(3);
    const gone = await fetch(new URL(`/v1/suppressions/${made.body.suppression.id}`, ctx.api.url), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.secret}` },
    });
    expect(gone.status).toBe(204);
    const again = await fetch(new URL(`/v1/suppressions/${made.body.suppression.id}`, ctx.api.url), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.secret}` },
    });
    expect(again.status).toBe(404);

    // Trusted networks: replace, read back, bad blocks named.
    const put = async (body: unknown) => {
      const response = await fetch(new URL('/v1/trusted-networks', ctx.api.url), {
        method: 'PUT',
        headers: { authorization: `Bearer ${admin.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const badNet = await put({ cidrs: ['10.0.0.0/8', 'not-a-net'] });
    expect(badNet.status).toBe(400);
    expect((badNet.body.error as { field: string }).field).toBe('cidrs.1');
    const set = await put({ cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      tenant_id: 'tenant_a',
      cidrs: ['10.0.0.0/8', '2001:db8::/32'],
      updated_by: `key:${admin.id}`,
    });
    expect((await ctx.get('/v1/trusted-networks', admin.secret)).body).toMatchObject({
      cidrs: ['10.0.0.0/8', '2001:db8::/32'],
    });
    expect((await feedback.getTrustedNetworks('tenant_a')).cidrs).toEqual(['10.0.0.0/8', '2001:db8::/32']);

    // Every change is in the tenant's audit stream, with who did it.
    const actions = (await ctx.store.audit('tenant_a')).map((e) => [e.action, e.actor]);
    for (const action of ['alert_dismissed', 'suppression_created', 'suppression_deleted', 'trusted_networks_updated'])
      expect(actions).toContainEqual([action, `key:${admin.id}`]);
  } finally {
    await ctx.close();
  }
});

test('confirm marks the alert confirmed and sends one revoke trigger for its key to the triggers topic', async ({
  clickhouse,
  redis,
  kafka,
  logger,
}) => {
  await kafka.provision();
  const ctx = await startTestApi(
    { clickhouse, redis, logger },
    { KAFKA_BROKERS: kafka.brokers.join(','), KEYWATCH_TOPIC_PREFIX: kafka.prefix },
  );
  try {
    const admin = await createTestKey(ctx.store, 'tenant_a', { scopes: ['audit:read', 'keys:manage'] });
    const victim = await createTestKey(ctx.store, 'tenant_a');
    await insertAlerts(ctx.ch, [
      {
        alert_id: 'alr_c',
        tenant_id: 'tenant_a',
        key_id: victim.id,
        type: 'impossible_travel',
        detected_at: NOW - 60_000,
      },
      {
        alert_id: 'alr_nokey',
        tenant_id: 'tenant_a',
        key_id: null,
        type: 'failed_auth_spike',
        detected_at: NOW - 60_000,
      },
    ]);
    expect((await ctx.post('/v1/alerts/alr_nokey/confirm', admin.secret)).status).toBe(422);
    const confirmed = await ctx.post<{ alert: AlertView; trigger: { trigger_id: string; requested_action: string } }>(
      '/v1/alerts/alr_c/confirm',
      admin.secret,
      { note: 'customer saw the charges' },
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.alert.status).toBe('confirmed');
    expect(confirmed.body.trigger.requested_action).toBe('revoke');
    // Confirming again sends the same trigger id (the key service applies a trigger once).
    const twice = await ctx.post<{ trigger: { trigger_id: string } }>('/v1/alerts/alr_c/confirm', admin.secret);
    expect(twice.body.trigger.trigger_id).toBe(confirmed.body.trigger.trigger_id);
    const messages = await collectMessages<RevocationTrigger>(
      kafka.kafka,
      kafka.topics.keyRevocationTriggers,
      (m) => m.length >= 2,
      10_000,
    );
    expect(messages.map((m) => m.key)).toEqual([victim.id, victim.id]);
    expect(messages[0]?.value).toMatchObject({
      v: 1,
      trigger_id: confirmed.body.trigger.trigger_id,
      tenant_id: 'tenant_a',
      key_id: victim.id,
      alert_id: 'alr_c',
      reason: 'impossible_travel',
      requested_action: 'revoke',
    });
    const audit = await ctx.store.audit('tenant_a');
    expect(audit.find((e) => e.action === 'alert_confirmed')).toMatchObject({
      actor: `key:${admin.id}`,
      reason: 'customer saw the charges',
    });
  } finally {
    await ctx.close();
  }
});

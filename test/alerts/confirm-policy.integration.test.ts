import { insertAlerts, startTestApi } from '@keywatch/analytics-api/testing';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { expect, poll, test } from '@keywatch/testkit';

// Confirming an alert is a person's verdict, but the key still goes through the revocation path:
// analytics API → key-revocation-triggers → key service, which applies the tenant policy and its
// hourly cap exactly as for the detector's own triggers.
test('confirm revokes the key through the tenant policy, and is refused beyond the hourly cap', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const ks = await startTestKeyService({ kafka, redis, logger });
  const api = await startTestApi(
    { clickhouse, redis, logger },
    { KAFKA_BROKERS: kafka.brokers.join(','), KEYWATCH_TOPIC_PREFIX: kafka.prefix },
  );
  try {
    const tenant = 'tenant_confirm';
    const key = (name: string, scopes: string[]) =>
      ks.createKey({ tenant_id: tenant, type: 'secret', environment: 'live', name, scopes });
    const admin = await key('security team', ['keys:manage', 'audit:read']);
    const first = await key('first victim', ['customers:read']);
    const second = await key('second victim', ['customers:read']);
    const policy = await ks.call('PUT', '/v1/policy', ks.rootKey, {
      tenant_id: tenant,
      mode: 'revoke',
      allow_live_revoke: true,
      max_actions_per_hour: 1,
    });
    expect(policy.status).toBe(200);
    const now = Date.now();
    await insertAlerts(api.ch, [
      {
        alert_id: 'alr_first',
        tenant_id: tenant,
        key_id: first.id,
        type: 'impossible_travel',
        detected_at: now - 60_000,
      },
      {
        alert_id: 'alr_second',
        tenant_id: tenant,
        key_id: second.id,
        type: 'geo_new_country',
        detected_at: now - 30_000,
      },
    ]);

    const state = async (id: string) =>
      (await ks.call<{ key: { state: string } }>('GET', `/v1/keys/${id}`, ks.rootKey)).body.key.state;
    const confirmed = await api.post<{ alert: { status: string } }>('/v1/alerts/alr_first/confirm', admin.secret, {
      note: 'charges the customer did not make',
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.alert.status).toBe('confirmed');
    expect(
      await poll(
        () => state(first.id),
        (s) => s === 'revoked',
        30_000,
      ),
    ).toBe('revoked');

    // The cap (1 per hour) is spent: the second confirm is recorded, the key service refuses it.
    expect((await api.post('/v1/alerts/alr_second/confirm', admin.secret)).status).toBe(200);
    const audit = await poll(
      async () =>
        (
          await ks.call<{ entries: Array<{ action: string; key_id: string; reason: string }> }>(
            'GET',
            `/v1/audit?tenant_id=${tenant}&key_id=${second.id}`,
            ks.rootKey,
          )
        ).body.entries,
      (entries) => entries.some((e) => e.action === 'trigger_refused'),
      30_000,
    );
    expect(audit.find((e) => e.action === 'trigger_refused')?.reason).toMatch(/hourly cap of 1/);
    expect(await state(second.id)).toBe('active');
  } finally {
    await api.close();
    await ks.close();
  }
});

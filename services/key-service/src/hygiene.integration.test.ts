import path from 'node:path';
import { createClickHouse, runMigrations } from '@keywatch/clickhouse';
import type { Alert } from '@keywatch/contracts';
import { createProducer } from '@keywatch/kafka';
import { createKeyStore } from '@keywatch/keystore';
import { newSuccessor, newTestKey } from '@keywatch/keystore/testing';
import { collectMessages, describe, expect, repoRoot, test } from '@keywatch/testkit';
import { createAlertPath } from './alert-path.js';
import { createHygieneSweeper } from './hygiene.js';
import { TenantSettings } from './settings.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('key hygiene', () => {
  test('each item fires once at the right time, not again after a restart, and never for healthy keys', async ({
    kafka,
    redis,
    clickhouse,
    logger,
  }) => {
    await kafka.provision();
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    await runMigrations(ch, {
      directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
      database: clickhouse.database,
      logger,
    });
    const producer = await createProducer(kafka.kafka);
    const store = createKeyStore({ redis: redis.client });
    const alerts = createAlertPath({ producer, topics: kafka.topics, clickhouse: ch, logger });
    const settings = new TenantSettings({ redis: redis.client, audit: store });
    let now = Date.parse('2027-01-01T00:00:00.000Z');
    /** A sweeper as a fresh process would build it: only Redis remembers anything. */
    const sweeper = () =>
      createHygieneSweeper({
        store,
        redis: redis.client,
        alerts,
        settings,
        logger,
        intervalMs: 60_000,
        clock: () => new Date(now),
      });
    const at = (ms: number) => {
      now = ms;
      return new Date(ms);
    };
    const t0 = now;
    const sweep = async () =>
      (await sweeper().sweepOnce()).map(
        (a) => `${a.type}:${a.key_id}:${typeof a.evidence.horizon === 'string' ? a.evidence.horizon : ''}`,
      );
    try {
      const create = async (overrides: Parameters<typeof newTestKey>[0]) =>
        store.create(newTestKey({ tenant_id: 'tenant_h', allowed_ips: [], ...overrides }).key, 'root', new Date(t0));
      const expiring = await create({ name: 'expiring', expires_at: new Date(t0 + 10 * DAY).toISOString() });
      const healthy = await create({ name: 'healthy' });
      const idle = await create({ name: 'idle' });
      const idlePublishable = await create({ name: 'idle publishable', type: 'publishable', scopes: ['bundles:read'] });
      const rotatedUsed = await create({ name: 'rotated, still used' });
      const rotatedQuiet = await create({ name: 'rotated, moved' });
      const optedOut = await store.create(
        newTestKey({ tenant_id: 'tenant_off', allowed_ips: [] }).key,
        'root',
        new Date(t0),
      );
      await settings.setHygiene('tenant_off', { key_unused_days: 0 }, 'root');
      await store.touch(healthy.id, new Date(t0));

      expect(await sweep()).toEqual([]);

      // 7 days before expiry (6 d 23 h left): once, however often it sweeps and restarts.
      at(t0 + 3 * DAY + HOUR);
      expect(await sweep()).toEqual([`key_expiring:${expiring.id}:7d`]);
      expect(await sweep()).toEqual([]);
      at(t0 + 5 * DAY);
      expect(await sweep()).toEqual([]);

      // 1 day before: the second and last one.
      at(t0 + 9 * DAY + HOUR);
      expect(await sweep()).toEqual([`key_expiring:${expiring.id}:1d`]);
      expect(await sweep()).toEqual([]);

      // Rotations with a 2 h grace; one old key keeps receiving traffic in the last hour, one does not.
      const rotation = t0 + 20 * DAY;
      const successors = [
        (await store.rotate(rotatedUsed.id, newSuccessor(rotatedUsed), 2 * 3600, 'root', at(rotation))).next,
        (await store.rotate(rotatedQuiet.id, newSuccessor(rotatedQuiet), 2 * 3600, 'root', at(rotation))).next,
      ];
      await store.touch(rotatedUsed.id, new Date(rotation + 30 * 60_000));
      await store.touch(rotatedQuiet.id, new Date(rotation + 30 * 60_000));
      at(rotation + 50 * 60_000);
      expect(await sweep()).toEqual([]); // not in the last hour yet
      await store.touch(rotatedUsed.id, new Date(rotation + 65 * 60_000));
      at(rotation + 70 * 60_000);
      expect(await sweep()).toEqual([`rotation_grace_ending:${rotatedUsed.id}:`]);
      at(rotation + 100 * 60_000);
      await store.touch(rotatedUsed.id, new Date(now));
      expect(await sweep()).toEqual([]);

      // 90 days without a successful request: only the idle secret key of a tenant that wants it.
      for (const key of [healthy, ...successors]) await store.touch(key.id, new Date(t0 + 80 * DAY));
      at(t0 + 90 * DAY - HOUR);
      expect(await sweep()).toEqual([]);
      at(t0 + 90 * DAY + HOUR);
      expect(await sweep()).toEqual([`key_unused:${idle.id}:`]);
      expect(await sweep()).toEqual([]);
      at(t0 + 100 * DAY);
      expect(await sweep()).toEqual([]);

      // Used again and idle again for 90 days: a new item.
      await store.touch(idle.id, new Date(t0 + 101 * DAY));
      for (const key of [healthy, ...successors]) await store.touch(key.id, new Date(t0 + 185 * DAY));
      at(t0 + 191 * DAY + HOUR);
      expect(await sweep()).toEqual([`key_unused:${idle.id}:`]);

      // Every raised alert is on the topic, once, and in the feed's table.
      const raised = await collectMessages<Alert>(kafka.kafka, kafka.topics.securityAlerts, () => false, 4000);
      expect(raised.map((m) => `${m.value?.type}:${m.value?.key_id}`).sort()).toEqual(
        [
          `key_expiring:${expiring.id}`,
          `key_expiring:${expiring.id}`,
          `rotation_grace_ending:${rotatedUsed.id}`,
          `key_unused:${idle.id}`,
          `key_unused:${idle.id}`,
        ].sort(),
      );
      expect(raised.find((m) => m.value?.type === 'rotation_grace_ending')?.value?.severity).toBe('medium');
      expect(new Set(raised.map((m) => m.value?.alert_id)).size).toBe(5);
      const rows = await ch.query<{ n: string }>('SELECT count() AS n FROM security_alerts');
      expect(rows[0]?.n).toBe('5');
      for (const quiet of [healthy, idlePublishable, rotatedQuiet, optedOut])
        expect(
          raised.some((m) => m.value?.key_id === quiet.id),
          quiet.name,
        ).toBe(false);
    } finally {
      await alerts.close();
      await producer.close();
      await ch.close();
    }
  });
});

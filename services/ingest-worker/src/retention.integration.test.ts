import path from 'node:path';
import { createClickHouse, FEATURES, runMigrations, versionAtLeast } from '@keywatch/clickhouse';
import { exampleAuthEvent } from '@keywatch/contracts';
import { expect, repoRoot, test } from '@keywatch/testkit';
import { createDedupStore, writeOnce } from './dedup.js';
import { applyRetention } from './retention.js';
import { createIdLookup, createLineInserter } from './http-insert.js';
import { encodeRow, toRow } from './rows.js';

test('the retention job drops expired day and month partitions of the raw table, its enrichment, the dedup index and the rollups', async ({
  clickhouse,
  logger,
}) => {
  const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
  try {
    await runMigrations(ch, {
      directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
      database: clickhouse.database,
      logger,
    });
    const now = new Date('2026-06-15T12:00:00Z');
    const dates = ['2026-01-10T10:00:00.000Z', '2026-05-01T10:00:00.000Z', '2026-06-14T10:00:00.000Z'];
    // Servers with TTL (19.6+, migration 0007) also expire rows themselves, by their own clock (not
    // the job's `now`): a row survives there when it is younger than its table's TTL.
    const ttl = versionAtLeast(await ch.serverVersion(), FEATURES.ttl);
    const ttlDays: Record<string, number> = {
      auth_events: 30,
      auth_event_ids: 30,
      auth_events_enrichment: 30,
      auth_rollup_1m: 90,
      auth_rollup_1h: 730,
      auth_rollup_1d: 1825,
    };
    const survivesTtl = (table: string, row: number) =>
      !ttl || Date.parse(dates[row] ?? '') > Date.now() - (ttlDays[table] ?? 0) * 86_400_000;
    const rowsOf = (rows: Record<string, number[]>) =>
      Object.fromEntries(Object.entries(rows).map(([t, kept]) => [t, kept.filter((i) => survivesTtl(t, i)).length]));
    const at = (iso: string) =>
      encodeRow({
        ...toRow(exampleAuthEvent({ ts: iso })),
        country: '',
        region: '',
        city: '',
        lat: null,
        lon: null,
        area: null,
        ua_class: '',
      });
    const http = { url: clickhouse.url, database: clickhouse.database };
    await writeOnce(createDedupStore({ insertLines: createLineInserter(http), lookupIds: createIdLookup(http) }), [
      ...dates.map(at),
    ]);
    const counts = async () =>
      Object.fromEntries(
        await Promise.all(
          [
            'auth_events',
            'auth_event_ids',
            'auth_events_enrichment',
            'auth_rollup_1m',
            'auth_rollup_1h',
            'auth_rollup_1d',
          ].map(
            async (t) => [t, Number((await ch.query<{ n: string }>(`SELECT count() AS n FROM ${t}`))[0]?.n)] as const,
          ),
        ),
      );
    // A merge applies the TTL (current servers may drop expired rows already at insert).
    if (ttl) for (const table of Object.keys(ttlDays)) await ch.command(`OPTIMIZE TABLE ${table} FINAL`);
    const all = [0, 1, 2];
    expect(await counts()).toEqual(
      rowsOf({
        auth_events: all,
        auth_event_ids: all,
        auth_events_enrichment: all,
        auth_rollup_1m: all,
        auth_rollup_1h: all,
        auth_rollup_1d: all,
      }),
    );
    const dropped = await applyRetention(
      ch,
      { rawDays: 30, minuteDays: 90, hourDays: 120, dayDays: 1825 },
      logger,
      now,
    );
    // Each partition with the row it holds; where the TTL already removed that row there is nothing to drop.
    const expectedDrops = [
      { table: 'auth_events', partition: '20260110', row: 0 },
      { table: 'auth_events', partition: '20260501', row: 1 },
      { table: 'auth_event_ids', partition: '20260501', row: 1 },
      { table: 'auth_rollup_1m', partition: '20260110', row: 0 },
      { table: 'auth_rollup_1h', partition: '202601', row: 0 },
    ];
    expect(dropped).toEqual(
      expect.arrayContaining(
        expectedDrops.filter((d) => survivesTtl(d.table, d.row)).map(({ table, partition }) => ({ table, partition })),
      ),
    );
    expect(await counts()).toEqual(
      rowsOf({
        auth_events: [2],
        auth_event_ids: [2],
        auth_events_enrichment: [2],
        auth_rollup_1m: [1, 2],
        auth_rollup_1h: [1, 2],
        auth_rollup_1d: all,
      }),
    );
    expect(
      await applyRetention(ch, { rawDays: 30, minuteDays: 90, hourDays: 120, dayDays: 1825 }, logger, now),
    ).toEqual([]);
  } finally {
    await ch.close();
  }
});

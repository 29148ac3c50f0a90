import path from 'node:path';
import { createClickHouse, runMigrations } from '@keywatch/clickhouse';
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
      at('2026-01-10T10:00:00.000Z'),
      at('2026-05-01T10:00:00.000Z'),
      at('2026-06-14T10:00:00.000Z'),
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
    expect(await counts()).toEqual({
      auth_events: 3,
      auth_event_ids: 3,
      auth_events_enrichment: 3,
      auth_rollup_1m: 3,
      auth_rollup_1h: 3,
      auth_rollup_1d: 3,
    });
    const dropped = await applyRetention(
      ch,
      { rawDays: 30, minuteDays: 90, hourDays: 120, dayDays: 1825 },
      logger,
      now,
    );
    expect(dropped).toEqual(
      expect.arrayContaining([
        { table: 'auth_events', partition: '20260110' },
        { table: 'auth_events', partition: '20260501' },
        { table: 'auth_event_ids', partition: '20260501' },
        { table: 'auth_rollup_1m', partition: '20260110' },
        { table: 'auth_rollup_1h', partition: '202601' },
      ]),
    );
    expect(await counts()).toEqual({
      auth_events: 1,
      auth_event_ids: 1,
      auth_events_enrichment: 1,
      auth_rollup_1m: 2,
      auth_rollup_1h: 2,
      auth_rollup_1d: 3,
    });
    expect(
      await applyRetention(ch, { rawDays: 30, minuteDays: 90, hourDays: 120, dayDays: 1825 }, logger, now),
    ).toEqual([]);
  } finally {
    await ch.close();
  }
});

import path from 'node:path';
import { createClickHouse, runMigrations, type ClickHouse } from '@keywatch/clickhouse';
import { exampleAuthEvent, type AuthEvent } from '@keywatch/contracts';
import { expect, repoRoot, test, type ClickHouseFixture } from '@keywatch/testkit';
import { createLineInserter } from './http-insert.js';
import { createRowPool } from './row-pool.js';
import { encodeRow, encodeRowBinary, MAX_UINT32, ROW_BINARY_COLUMNS, toEnrichedRow, type EnrichedRow } from './rows.js';

type Geo = Pick<EnrichedRow, 'country' | 'region' | 'city' | 'lat' | 'lon' | 'area'>;
const NO_GEO: Geo = { country: '', region: '', city: '', lat: null, lon: null, area: null };
const rowOf = (event: Partial<AuthEvent>, geo: Geo = NO_GEO, uaClass = '') =>
  toEnrichedRow(exampleAuthEvent(event), geo, uaClass);

/** Edge values of every column type the worker writes. */
function edgeRows(): EnrichedRow[] {
  const long = 'Mozilla/5.0 (X11; Linux x86_64) ' + 'é😀字'.repeat(3_000);
  return [
    // Empty strings everywhere a string may be empty; every Nullable null.
    rowOf(
      {
        tenant_id: null,
        key_id: null,
        key_type: null,
        environment: null,
        key_fingerprint: null,
        scope: null,
        user_agent: null,
        origin: null,
        rate_limit: null,
      },
      NO_GEO,
      '',
    ),
    // Unicode: two-, three- and four-byte UTF-8, escapes JSON must quote, a NUL, control characters.
    rowOf(
      {
        user_agent: 'ünïcödé 字 😀 "quoted" back\\slash tab\t new\nline \u0000 \u0001 \u007f',
        origin: 'https://例え.jp',
      },
      { country: 'JP', region: '13', city: 'Tōkyō', lat: 35.6895, lon: 139.6917, area: 50 },
      'browser',
    ),
    // Around the one-byte length prefix: 42 and 43 three-byte characters, 127 and 128 ASCII bytes.
    rowOf({ user_agent: '字'.repeat(42), origin: '字'.repeat(43) }),
    rowOf({ user_agent: 'a'.repeat(127), origin: 'a'.repeat(128) }),
    // A long string (multi-byte length prefix).
    rowOf({ user_agent: long }),
    // IPv6 in its forms, IPv4-mapped, loopback.
    rowOf({ ip: '2001:4860:4860::8888' }, { ...NO_GEO, country: 'US', lat: 37.751, lon: -97.822, area: 1000 }),
    rowOf({ ip: '::ffff:81.2.69.142' }),
    rowOf({ ip: '::1' }),
    rowOf({ ip: 'fe80:0000:0000:0000:0202:b3ff:fe1e:8329' }),
    // Extreme timestamps of DateTime and of the milliseconds column.
    rowOf({ ts: '1970-01-01T00:00:00.000Z' }),
    rowOf({ ts: '1970-01-01T00:00:01.999Z' }),
    rowOf({ ts: '2038-01-19T03:14:08.500Z' }),
    rowOf({ ts: '2105-12-31T23:59:59.999Z' }),
    // Integer bounds; rate limits at 0 and 2^32 - 1; an area of 0 and 65 535.
    rowOf(
      { status: 599, rate_limit: { limit: MAX_UINT32, remaining: 0, window_s: MAX_UINT32 } },
      { country: 'GB', region: 'ENG', city: 'London', lat: 0, lon: 0, area: 0 },
    ),
    rowOf({ status: 100 }, { country: 'AQ', region: '', city: '', lat: -90, lon: -180, area: 65_535 }),
    rowOf({}, { country: 'NZ', region: '', city: '', lat: -41.2865, lon: 174.7762, area: null }),
    // Doubles: zero, tiny, huge, and values without a short decimal form.
    rowOf({ latency_ms: 0 }),
    rowOf({ latency_ms: 0.1 }),
    rowOf({ latency_ms: 1e-7 }),
    rowOf({ latency_ms: 123_456.789 }),
    rowOf({ latency_ms: 1e300 }),
    rowOf({ latency_ms: 1 / 3 }),
  ];
}

/** Deterministic pseudo-random rows (a small LCG): strings of mixed scripts, geography, doubles. */
function randomRows(n: number): EnrichedRow[] {
  let seed = 22;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const alphabet = ['a', 'Z', '0', ' ', '/', 'ä', 'ß', 'Ж', '中', '🔑', '"', '\\', '\t'];
  const text = (max: number) =>
    Array.from({ length: Math.floor(next() * max) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  return Array.from({ length: n }, (_, i) =>
    rowOf(
      {
        ts: new Date(Date.UTC(2026, 0, 1) + Math.floor(next() * 365 * 86_400_000)).toISOString(),
        latency_ms: Math.round(next() * 1e6) / 1000,
        user_agent: text(80),
        route: `/v1/${text(20)}`,
        rate_limit: i % 3 === 0 ? null : { limit: i, remaining: Math.floor(next() * i), window_s: 60 },
      },
      i % 4 === 0
        ? NO_GEO
        : {
            country: 'DE',
            region: text(3),
            city: text(30),
            lat: Math.round((next() * 180 - 90) * 10_000) / 10_000,
            lon: Math.round((next() * 360 - 180) * 10_000) / 10_000,
            area: Math.floor(next() * 1_000),
          },
      ['browser', 'sdk', ''][i % 3],
    ),
  );
}

/** The table's rows as ClickHouse itself writes them back, in RowBinary, by event_id. */
async function dump(fixture: ClickHouseFixture, table: string, format: 'RowBinary' | 'JSONEachRow'): Promise<Buffer> {
  const url = new URL(fixture.url);
  url.searchParams.set('database', fixture.database);
  url.searchParams.set('query', `SELECT * FROM ${table} ORDER BY event_id FORMAT ${format}`);
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

async function copyTable(ch: ClickHouse, name: string): Promise<void> {
  await ch.command(`CREATE TABLE ${name} AS auth_events_ingest ENGINE = MergeTree ORDER BY event_id`);
}

test('RowBinary rows are stored exactly as their JSONEachRow lines, edge values included, on the real server', async ({
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
    await copyTable(ch, 'via_json');
    await copyTable(ch, 'via_binary');
    await copyTable(ch, 'via_pool');
    const rows = [...edgeRows(), ...randomRows(5_000)];
    const tsMs = (row: EnrichedRow) => Date.parse(`${row.ts.replace(' ', 'T')}.${String(row.ts_ms).padStart(3, '0')}Z`);
    const http = { url: clickhouse.url, database: clickhouse.database };
    const json = createLineInserter(http);
    const binary = createLineInserter({ ...http, format: { name: 'RowBinary', columns: ROW_BINARY_COLUMNS } });

    await json(
      'via_json',
      rows.map((row) => encodeRow(row).bytes),
    );
    await binary(
      'via_binary',
      rows.map((row) => encodeRowBinary(row, tsMs(row)).bytes),
    );
    // Through the worker's pooled chunks (small ones, so rows cross chunk boundaries and the long one is outsized).
    const writer = createRowPool({ chunkBytes: 16 * 1024 }).writer();
    await binary(
      'via_pool',
      rows.map((row) => encodeRowBinary(row, tsMs(row), writer).bytes),
    );
    writer.release();

    const expected = await dump(clickhouse, 'via_json', 'RowBinary');
    expect((await ch.query<{ n: string }>('SELECT count() AS n FROM via_json'))[0]?.n).toBe(String(rows.length));
    // Byte for byte as the server writes the stored rows back, and row for row where they differ.
    for (const table of ['via_binary', 'via_pool']) {
      const actual = await dump(clickhouse, table, 'RowBinary');
      if (!actual.equals(expected)) {
        const a = (await dump(clickhouse, table, 'JSONEachRow')).toString().split('\n');
        const b = (await dump(clickhouse, 'via_json', 'JSONEachRow')).toString().split('\n');
        expect(a.filter((line, i) => line !== b[i]).slice(0, 5)).toEqual(
          b.filter((line, i) => line !== a[i]).slice(0, 5),
        );
      }
      expect(actual.equals(expected), table).toBe(true);
    }
  } finally {
    await ch.close();
  }
});

import { describe, expect, test } from '@keywatch/testkit';
import fc from 'fast-check';
import { createClickHouse, type ClickHouse, type ClickHouseOptions } from './client.js';
import { ClickHouseRequestError } from './errors.js';
import { identifier, sql } from './sql.js';
import { FEATURES, versionAtLeast } from './version.js';

type Fixture = { url: string; database: string };

async function withClient<T>(
  fixture: Fixture,
  logger: ClickHouseOptions['logger'],
  run: (ch: ClickHouse) => Promise<T>,
  extra: Partial<ClickHouseOptions> = {},
): Promise<T> {
  const ch = createClickHouse({ url: fixture.url, database: fixture.database, logger, ...extra });
  try {
    return await run(ch);
  } finally {
    await ch.close();
  }
}

/** The bind modes this server can take: literals always, query parameters from 19.11. */
async function bindModes(fixture: Fixture, logger: ClickHouseOptions['logger']): Promise<('never' | 'always')[]> {
  const version = await withClient(fixture, logger, (ch) => ch.serverVersion());
  return versionAtLeast(version, FEATURES.queryParameters) ? ['never', 'always'] : ['never'];
}

const tricky = fc.string({
  unit: fc.constantFrom(
    "'",
    '\\',
    '\n',
    '\r',
    '\t',
    '\0',
    '\x01',
    '\x1b',
    '\x7f',
    '"',
    '`',
    '{',
    '}',
    ';',
    '-',
    '?',
    'a',
    'é',
    '😀',
    '\u2028',
    '\ufeff',
  ),
});
const anyText = fc.oneof(tricky, fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));

describe('ClickHouse client', () => {
  test('pings, and reports and remembers the server version', async ({ clickhouse, logger }) => {
    await withClient(clickhouse, logger, async (ch) => {
      await ch.ping();
      const version = await ch.serverVersion();
      expect(version.text).toMatch(/^\d+\.\d+/);
      expect(version.major).toBeGreaterThanOrEqual(18);
      expect(await ch.serverVersion()).toBe(version);
    });
  });

  test('runs commands, inserts JSONEachRow rows and queries them back', async ({ clickhouse, logger }) => {
    await withClient(clickhouse, logger, async (ch) => {
      await ch.command(
        "CREATE TABLE things (id UInt32, name String, at DateTime('UTC'), n Nullable(UInt32)) ENGINE = MergeTree ORDER BY id",
      );
      await ch.insert('things', [
        { id: 1, name: 'plain text', at: '2024-01-02 03:04:05', n: null },
        { id: 2, name: 'iso string', at: '2024-01-02T03:04:05.678Z', n: 7 },
        { id: 3, name: 'a Date', at: new Date('2024-01-02T03:04:05.999Z'), n: 0 },
      ]);
      await ch.insert(`${clickhouse.database}.things`, []);
      const rows = await ch.query<{ id: number; name: string; at: string; n: number | null }>(
        'SELECT id, name, at, n FROM things ORDER BY id',
      );
      expect(rows).toEqual([
        { id: 1, name: 'plain text', at: '2024-01-02 03:04:05', n: null },
        { id: 2, name: 'iso string', at: '2024-01-02 03:04:05', n: 7 },
        { id: 3, name: 'a Date', at: '2024-01-02 03:04:05', n: 0 },
      ]);
      const [count] = await ch.query<{ c: string }>(
        sql`SELECT count() AS c FROM ${identifier('things')} WHERE at >= ${new Date('2024-01-02T03:04:05Z')} AND name != ${"o'clock"}`,
      );
      expect(count).toEqual({ c: '3' });
    });
  });

  test('binds strings so that any text round-trips exactly through the server', async ({ clickhouse, logger }) => {
    for (const queryParameters of await bindModes(clickhouse, logger)) {
      await withClient(
        clickhouse,
        logger,
        async (ch) => {
          await fc.assert(
            fc.asyncProperty(anyText, anyText, async (a, b) => {
              const rows = await ch.query<{ a: string; b: string; n: string }>(
                sql`SELECT ${a} AS a, ${b} AS b, length(${a}) AS n`,
              );
              expect(rows).toEqual([{ a, b, n: String(Buffer.byteLength(a)) }]);
            }),
            { numRuns: 300 },
          );
        },
        { queryParameters },
      );
    }
  });

  test('binds numbers, booleans, nulls, dates and arrays faithfully', async ({ clickhouse, logger }) => {
    await withClient(clickhouse, logger, async (ch) => {
      await fc.assert(
        fc.asyncProperty(
          fc.maxSafeInteger(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          async (int, float) => {
            const [row] = await ch.query<{ i: string | number; f: string | number; d: string | number }>(
              sql`SELECT ${int} AS i, ${float} AS f, 0-${int} AS d`,
            );
            expect(BigInt(row?.i ?? Number.NaN)).toBe(BigInt(int));
            // An integral double is read as an integer literal, and a 64-bit one arrives as a string.
            expect(Number(row?.f)).toBe(float === 0 ? 0 : float);
            expect(BigInt(row?.d ?? Number.NaN)).toBe(-BigInt(int));
          },
        ),
        { numRuns: 200 },
      );
      const [row] = await ch.query<Record<string, unknown>>(
        sql`SELECT ${true} AS t, ${false} AS f, ${null} AS nothing, ${new Date('2024-02-29T23:59:59.500Z')} AS at, ${['x', "y'", 'z\\']} AS list, ${[[1, 2], []]} AS nested, ${2n ** 63n - 1n} AS big`,
      );
      expect(row).toEqual({
        t: 1,
        f: 0,
        nothing: null,
        at: '2024-02-29 23:59:59',
        list: ['x', "y'", 'z\\'],
        nested: [[1, 2], []],
        big: '9223372036854775807',
      });
    });
  });

  test('uses server-side query parameters only on servers that have them', async ({ clickhouse, logger }) => {
    const version = await withClient(clickhouse, logger, (ch) => ch.serverVersion());
    const forced = withClient(clickhouse, logger, (ch) => ch.query<{ v: string }>(sql`SELECT ${'x'} AS v`), {
      queryParameters: 'always',
    });
    if (versionAtLeast(version, FEATURES.queryParameters)) await expect(forced).resolves.toEqual([{ v: 'x' }]);
    // 18.16 takes param_p0 for an unknown setting and refuses the whole request, hence `auto`.
    else await expect(forced).rejects.toThrow(/Unknown setting param_p0|code 115/);
  });

  test('names the failure, its server code and whether a retry may help', async ({ clickhouse, logger }) => {
    await withClient(clickhouse, logger, async (ch) => {
      const missing = await ch
        .query(sql`SELECT * FROM no_such_table WHERE k = ${'secret-ish value'}`)
        .catch((error: unknown) => error);
      expect(missing).toBeInstanceOf(ClickHouseRequestError);
      expect(missing).toMatchObject({
        operation: 'query',
        serverCode: 60,
        retryable: false,
        statement: 'SELECT * FROM no_such_table WHERE k = ?',
      });
      await ch.command('CREATE TABLE nums (n UInt8) ENGINE = Memory');
      await expect(ch.insert('nums', [{ n: 'not a number' }])).rejects.toMatchObject({
        operation: 'insert',
        retryable: false,
        statement: 'INSERT INTO `nums`',
      });
      await expect(ch.insert('nums; DROP TABLE nums', [{ n: 1 }])).rejects.toThrow(/not an identifier/);
    });
    const unreachable = createClickHouse({ url: 'http://127.0.0.1:1', logger, requestTimeoutMs: 2000 });
    await expect(unreachable.ping()).rejects.toMatchObject({
      operation: 'ping',
      retryable: true,
      serverCode: undefined,
    });
    await unreachable.close();
  });

  test('closes idempotently and refuses work afterwards', async ({ clickhouse, logger }) => {
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    await ch.ping();
    await ch.close();
    await ch.close();
    await expect(ch.query('SELECT 1')).rejects.toThrow(/after close/);
  });
});

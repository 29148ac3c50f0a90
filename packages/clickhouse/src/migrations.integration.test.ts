import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, repoRoot, test } from '@keywatch/testkit';
import { afterEach } from 'vitest';
import { createClickHouse } from './client.js';
import { MigrationError } from './errors.js';
import { runMigrations } from './migrations.js';
import { identifier, sql } from './sql.js';

const REPO_MIGRATIONS = path.join(repoRoot, 'infra/clickhouse/migrations');

interface Folder {
  directory: string;
  write(name: string, text: string): Promise<void>;
}

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

/** A temporary migrations folder holding `files`, removed after the test. */
async function folder(files: Record<string, string>): Promise<Folder> {
  const directory = await mkdtemp(path.join(tmpdir(), 'kw-migrations-'));
  folders.push(directory);
  const write = (name: string, text: string) => writeFile(path.join(directory, name), text);
  for (const [name, text] of Object.entries(files)) await write(name, text);
  return { directory, write };
}

describe('ClickHouse migrations', () => {
  test("apply the repository's migrations once and skip them on a rerun", async ({ clickhouse, logger }) => {
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    try {
      const first = await runMigrations(ch, { directory: REPO_MIGRATIONS, database: clickhouse.database, logger });
      expect(first[0]).toEqual({ version: 1, name: 'auth_events', status: 'applied' });
      expect(first.every((m) => m.status !== 'already_applied')).toBe(true);
      const second = await runMigrations(ch, { directory: REPO_MIGRATIONS, database: clickhouse.database, logger });
      expect(second).toEqual(
        first.map((m) => ({ ...m, status: m.status === 'applied' ? 'already_applied' : m.status })),
      );
      const tables = await ch.query<{ name: string }>(
        sql`SELECT name FROM system.tables WHERE database = ${clickhouse.database} ORDER BY name`,
      );
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['auth_events', 'schema_migrations']));
      const recorded = await ch.query<{ version: number; status: string; checksum: string }>(
        'SELECT version, status, checksum FROM schema_migrations WHERE version = 1',
      );
      expect(recorded).toEqual([{ version: 1, status: 'applied', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    } finally {
      await ch.close();
    }
  });

  test('create the target database when it is missing, even with a client bound to it', async ({
    clickhouse,
    logger,
  }) => {
    const database = `${clickhouse.database}_new`;
    const ch = createClickHouse({ url: clickhouse.url, database, logger });
    const dir = await folder({ '0001_t.sql': 'CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = Memory;' });
    try {
      expect(await runMigrations(ch, { directory: dir.directory, database, logger })).toEqual([
        { version: 1, name: 't', status: 'applied' },
      ]);
      expect(await ch.query('SELECT x FROM t')).toEqual([]);
    } finally {
      await ch.close();
      const admin = createClickHouse({ url: clickhouse.url, logger });
      await admin.command(sql`DROP DATABASE IF EXISTS ${identifier(database)}`);
      await admin.close();
    }
  });

  test('substitute ${database}, run statements one by one, and gate files on the server version', async ({
    clickhouse,
    logger,
  }) => {
    // The server here may be 18.16 or current: gate on versions far away on either side.
    const dir = await folder({
      '0001_base.sql': `-- two statements, one file
CREATE TABLE IF NOT EXISTS \${database}.events (id UInt32, note String) ENGINE = MergeTree ORDER BY id;
INSERT INTO \${database}.events VALUES (1, 'a;b -- not a comment');
`,
      '0002_future.sql': '-- requires: 999.1\nALTER TABLE ${database}.events MODIFY TTL now() + INTERVAL 1 DAY;\n',
      '0003_fallback.sql': "-- requires: < 999.1\nINSERT INTO ${database}.events VALUES (3, 'fallback');\n",
      '0004_old_enough.sql': "-- requires: 1.1\nINSERT INTO events VALUES (4, 'unqualified');\n",
      'README.md': 'not a migration',
    });
    const ch = createClickHouse({ url: clickhouse.url, logger });
    try {
      const options = { directory: dir.directory, database: clickhouse.database, logger };
      expect(await runMigrations(ch, options)).toEqual([
        { version: 1, name: 'base', status: 'applied' },
        { version: 2, name: 'future', status: 'skipped_version' },
        { version: 3, name: 'fallback', status: 'applied' },
        { version: 4, name: 'old_enough', status: 'applied' },
      ]);
      expect(await runMigrations(ch, options)).toEqual([
        { version: 1, name: 'base', status: 'already_applied' },
        { version: 2, name: 'future', status: 'skipped_version' },
        { version: 3, name: 'fallback', status: 'already_applied' },
        { version: 4, name: 'old_enough', status: 'already_applied' },
      ]);
      const table = `${clickhouse.database}.events`;
      expect(await ch.query(`SELECT id, note FROM ${table} ORDER BY id`)).toEqual([
        { id: 1, note: 'a;b -- not a comment' },
        { id: 3, note: 'fallback' },
        { id: 4, note: 'unqualified' },
      ]);
      const skips = await ch.query<{ n: string }>(
        `SELECT count() AS n FROM ${clickhouse.database}.schema_migrations WHERE version = 2 AND status = 'skipped_version'`,
      );
      expect(skips).toEqual([{ n: '1' }]);
    } finally {
      await ch.close();
    }
  });

  test('refuse an applied file whose text changed, naming it', async ({ clickhouse, logger }) => {
    const dir = await folder({ '0001_t.sql': 'CREATE TABLE IF NOT EXISTS ${database}.t (x UInt8) ENGINE = Memory;\n' });
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    try {
      const options = { directory: dir.directory, database: clickhouse.database, logger };
      await runMigrations(ch, options);
      await dir.write('0001_t.sql', 'CREATE TABLE IF NOT EXISTS ${database}.t (x UInt16) ENGINE = Memory;\n');
      const error = await runMigrations(ch, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect(error).toMatchObject({ code: 'migration_changed', file: '0001_t.sql', retryable: false });
      expect(String(error)).toMatch(/0001_t\.sql: changed after it was applied/);
    } finally {
      await ch.close();
    }
  });

  test('accept an applied earlier text its file names with valid-checksum, and nothing else', async ({
    clickhouse,
    logger,
  }) => {
    const first = 'CREATE TABLE IF NOT EXISTS ${database}.t (x UInt8) ENGINE = Memory;\n';
    const dir = await folder({ '0001_t.sql': first });
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    try {
      const options = { directory: dir.directory, database: clickhouse.database, logger };
      await runMigrations(ch, options);
      const earlier = createHash('sha256').update(first).digest('hex');
      const fixed = `-- valid-checksum: ${earlier}\nCREATE TABLE IF NOT EXISTS \${database}.t (x UInt8) ENGINE = Memory();\n`;
      await dir.write('0001_t.sql', fixed);
      expect(await runMigrations(ch, options)).toEqual([{ version: 1, name: 't', status: 'already_applied' }]);
      await dir.write('0001_t.sql', fixed.replace(earlier, '0'.repeat(64)));
      await expect(runMigrations(ch, options)).rejects.toMatchObject({ code: 'migration_changed', file: '0001_t.sql' });
    } finally {
      await ch.close();
    }
  });

  test('stop at a failing statement, naming the file and statement, and record nothing for it', async ({
    clickhouse,
    logger,
  }) => {
    const dir = await folder({
      '0001_ok.sql': 'CREATE TABLE IF NOT EXISTS ${database}.t (x UInt8) ENGINE = Memory;',
      '0002_bad.sql':
        'CREATE TABLE IF NOT EXISTS ${database}.u (x UInt8) ENGINE = Memory;\nSELECT * FROM ${database}.missing_table;',
      '0003_after.sql': 'CREATE TABLE IF NOT EXISTS ${database}.v (x UInt8) ENGINE = Memory;',
    });
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    try {
      const error = await runMigrations(ch, { directory: dir.directory, database: clickhouse.database, logger }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'migration_failed', file: '0002_bad.sql', retryable: false });
      expect(String(error)).toMatch(
        /0002_bad\.sql: statement 2 of 2 failed: ClickHouse command failed: .*missing_table/,
      );
      const recorded = await ch.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(recorded).toEqual([{ version: 1 }]);
      expect(
        await ch.query(`SELECT name FROM system.tables WHERE database = '${clickhouse.database}' AND name = 'v'`),
      ).toEqual([]);
    } finally {
      await ch.close();
    }
  });

  test('refuse malformed folders before running anything', async ({ clickhouse, logger }) => {
    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    try {
      const duplicate = await folder({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 1;' });
      await expect(
        runMigrations(ch, { directory: duplicate.directory, database: clickhouse.database, logger }),
      ).rejects.toThrow(/0001_b\.sql: version 1 is also used by 0001_a\.sql/);
      const placeholder = await folder({
        '0001_ok.sql': 'CREATE TABLE ${database}.t (x UInt8) ENGINE = Memory;',
        '0002_a.sql': '-- mentions ${anything} in a comment\nSELECT ${tenant};',
      });
      await expect(
        runMigrations(ch, { directory: placeholder.directory, database: clickhouse.database, logger }),
      ).rejects.toThrow(/0002_a\.sql: unknown placeholder \$\{tenant\}/);
      expect(await ch.query(`SELECT name FROM system.tables WHERE database = '${clickhouse.database}'`)).toEqual([]);
      const empty = await folder({ '0001_a.sql': '-- nothing here\n' });
      await expect(
        runMigrations(ch, { directory: empty.directory, database: clickhouse.database, logger }),
      ).rejects.toThrow(/0001_a\.sql: has no statements/);
      await expect(runMigrations(ch, { directory: empty.directory, database: 'bad-name', logger })).rejects.toThrow(
        /not a plain identifier/,
      );
    } finally {
      await ch.close();
    }
  });
});

import type { Logger } from '@keywatch/logger';
import type { ClickHouse } from './client.js';
import { MigrationError } from './errors.js';
import {
  meetsRequirement,
  readMigrations,
  splitStatements,
  substitute,
  type MigrationFile,
} from './migration-files.js';
import { identifier, isIdentifier, sql } from './sql.js';
import type { ServerVersion } from './version.js';

/** Where the migrations are and where they go. */
export interface MigrationOptions {
  /** Folder of `NNNN_name.sql` files, e.g. `<repo>/infra/clickhouse/migrations`. */
  directory: string;
  /** Target database; created if missing, and what `${database}` in the files stands for. */
  database: string;
  logger: Logger;
}

/**
 * What happened to one migration: run now, skipped because the server is too old (or too new,
 * for a `< x.y` fallback), or found already applied.
 */
export type MigrationStatus = 'applied' | 'skipped_version' | 'already_applied';

/** One migration's outcome, in version order. */
export interface MigrationResult {
  version: number;
  name: string;
  status: MigrationStatus;
}

interface Recorded {
  version: number;
  checksum: string;
  status: 'applied' | 'skipped_version';
}

const TABLE = 'schema_migrations';

/**
 * Applies the pending migrations of `options.directory` to `options.database`, in version order,
 * one statement at a time, recording each with its checksum in `<database>.schema_migrations`.
 * Safe to rerun (a changed applied file is an error); run one migrator at a time (README).
 */
export async function runMigrations(clickhouse: ClickHouse, options: MigrationOptions): Promise<MigrationResult[]> {
  const { database, logger } = options;
  if (!isIdentifier(database) || database.includes('.'))
    throw new TypeError(`migrations: database "${database}" is not a plain identifier`);
  const files = prepare(await readMigrations(options.directory), database);
  const log = logger.child({ component: 'migrations', database });

  // A client bound to a database that does not exist yet cannot run anything, not even
  // CREATE DATABASE or SELECT version().
  const admin = clickhouse.database === database ? clickhouse.withDatabase('system') : clickhouse;
  let server: ServerVersion;
  try {
    server = await admin.serverVersion();
    await admin.command(sql`CREATE DATABASE IF NOT EXISTS ${identifier(database)}`);
  } finally {
    if (admin !== clickhouse) await admin.close();
  }

  // Unqualified names in the files resolve to the target database.
  const target = clickhouse.database === database ? clickhouse : clickhouse.withDatabase(database);
  try {
    return await applyPending(target, files, server, database, log);
  } finally {
    if (target !== clickhouse) await target.close();
  }
}

interface Prepared extends MigrationFile {
  statements: string[];
}

/** Splits and substitutes every file up front, so a malformed one stops the run before anything is applied. */
function prepare(files: MigrationFile[], database: string): Prepared[] {
  return files.map((file) => {
    // Substituted after splitting: comments may mention placeholders, and the name holds no ; or quote.
    const statements = splitStatements(file.text).map((statement) => substitute(file.file, statement, { database }));
    if (statements.length === 0) throw new MigrationError('migration_invalid', file.file, 'has no statements');
    return { ...file, statements };
  });
}

async function applyPending(
  clickhouse: ClickHouse,
  files: Prepared[],
  server: ServerVersion,
  database: string,
  log: Logger,
): Promise<MigrationResult[]> {
  const table = identifier(`${database}.${TABLE}`);
  await clickhouse.command(sql`
    CREATE TABLE IF NOT EXISTS ${table} (
      version UInt32,
      name String,
      checksum String,
      status String,
      server_version String,
      applied_at DateTime('UTC')
    ) ENGINE = MergeTree ORDER BY (version, applied_at)`);
  const recorded = await clickhouse.query<Recorded>(
    sql`SELECT version, checksum, status FROM ${table} ORDER BY version, applied_at`,
  );
  const applied = new Map(recorded.filter((r) => r.status === 'applied').map((r) => [r.version, r]));
  const skipped = new Set(recorded.filter((r) => r.status === 'skipped_version').map((r) => r.version));

  const record = (file: MigrationFile, status: Recorded['status']) =>
    clickhouse.insert(`${database}.${TABLE}`, [
      {
        version: file.version,
        name: file.name,
        checksum: file.checksum,
        status,
        server_version: server.text,
        applied_at: new Date(),
      },
    ]);

  const results: MigrationResult[] = [];
  for (const file of files) {
    const result = (status: MigrationStatus) => results.push({ version: file.version, name: file.name, status });
    const done = applied.get(file.version);
    if (done) {
      if (done.checksum !== file.checksum && !file.validChecksums.includes(done.checksum)) {
        throw new MigrationError(
          'migration_changed',
          file.file,
          'changed after it was applied; add a new migration instead of editing this one',
        );
      }
      result('already_applied');
      continue;
    }
    if (!meetsRequirement(server, file.requires)) {
      if (!skipped.has(file.version)) await record(file, 'skipped_version');
      log.info(
        { migration: file.file, requires: file.requires, server: server.text },
        'migration skipped: server version',
      );
      result('skipped_version');
      continue;
    }
    const { statements } = file;
    for (const [i, statement] of statements.entries()) {
      try {
        await clickhouse.command(statement);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(
          'migration_failed',
          file.file,
          `statement ${i + 1} of ${statements.length} failed: ${reason}`,
          { cause: error },
        );
      }
    }
    await record(file, 'applied');
    log.info({ migration: file.file, statements: statements.length }, 'migration applied');
    result('applied');
  }
  const known = new Set(files.map((file) => file.version));
  const missing = [...applied.keys()].filter((version) => !known.has(version));
  if (missing.length > 0) log.warn({ versions: missing }, 'applied migrations no longer have a file');
  return results;
}

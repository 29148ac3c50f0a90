import { runMigrations, type MigrationOptions, type MigrationResult } from './migrations.js';
import type { ClickHouse } from './client.js';
import { identifier, isIdentifier, sql } from './sql.js';

/** Where the cluster variant puts things (see {@link runClusterMigrations}). */
export interface ClusterMigrationOptions extends MigrationOptions {
  /** The `remote_servers` cluster name the Distributed tables read and write through. */
  cluster: string;
}

/** The database holding each shard's own tables: `<database>_local`. */
export function localDatabase(database: string): string {
  return `${database}_local`;
}

interface TableRow {
  name: string;
  engine: string;
}

/**
 * The column a table's rows are spread by: the alert id for alert tables (an alert's versions and
 * its status meet on one shard, where alerts_feed joins them), else the key id (a key's raw
 * events, dedup ids and rollups share a shard, so per-key merges stay shard-local), else the event id.
 */
function shardingExpression(columns: readonly string[]): string {
  for (const column of ['alert_id', 'key_id', 'event_id']) {
    if (columns.includes(column)) return `cityHash64(${column})`;
  }
  return 'rand()';
}

/**
 * The schema on a sharded ClickHouse without ZooKeeper (no `ON CLUSTER`): the unchanged migrations
 * run on every shard into `<database>_local`, then every node gets `<database>` holding one
 * `Distributed` table per local table (same name, same columns), sharded by key id. Readers and
 * the ingest worker use `<database>` exactly as on one server: an INSERT into
 * `<database>.auth_events_ingest` is routed to the shard of its key, where the materialized views
 * fill that shard's tables. Idempotent. Returns the local migrations' results of the first shard.
 */
export async function runClusterMigrations(
  shards: readonly ClickHouse[],
  options: ClusterMigrationOptions,
): Promise<MigrationResult[]> {
  const { database, cluster } = options;
  if (!isIdentifier(database) || !isIdentifier(cluster))
    throw new TypeError(`cluster migrations: database "${database}" or cluster "${cluster}" is not a plain identifier`);
  if (shards.length === 0) throw new TypeError('cluster migrations: no shard given');
  const local = localDatabase(database);
  const results: MigrationResult[][] = [];
  for (const shard of shards) results.push(await runMigrations(shard, { ...options, database: local }));
  for (const shard of shards) {
    const admin = shard.withDatabase('system');
    try {
      await admin.command(sql`CREATE DATABASE IF NOT EXISTS ${identifier(database)}`);
      const tables = await admin.query<TableRow>(
        sql`SELECT name, engine FROM system.tables WHERE database = ${local} ORDER BY name`,
      );
      const columns = await admin.query<{ table: string; name: string }>(
        sql`SELECT table, name FROM system.columns WHERE database = ${local}`,
      );
      for (const table of tables) {
        if (
          table.engine === 'MaterializedView' ||
          table.name.startsWith('.inner') ||
          table.name === 'schema_migrations'
        )
          continue;
        await admin.command(
          `CREATE TABLE IF NOT EXISTS ${database}.${table.name} AS ${local}.${table.name} ` +
            `ENGINE = Distributed(${cluster}, ${local}, ${table.name}, ${shardingExpression(columns.filter((c) => c.table === table.name).map((c) => c.name))})`,
        );
      }
    } finally {
      await admin.close();
    }
  }
  return results[0] ?? [];
}

export { createClickHouse, type ClickHouse, type ClickHouseOptions } from './client.js';
export { sql, identifier, join, literal, formatDateTime, type Sql, type SqlValue } from './sql.js';
export { runMigrations, type MigrationOptions, type MigrationResult, type MigrationStatus } from './migrations.js';
export { ClickHouseRequestError, MigrationError, type ClickHouseOperation, type MigrationErrorCode } from './errors.js';
export { FEATURES, parseServerVersion, versionAtLeast, type ServerVersion } from './version.js';
export { groupInserts, type GroupInsertsOptions, type RowInserter } from './group-inserts.js';
export { runClusterMigrations, localDatabase, type ClusterMigrationOptions } from './cluster-migrations.js';
export { RowBinaryValueError, RowBinaryWriter, stringWorstBytes } from './row-binary.js';

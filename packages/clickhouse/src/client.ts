import {
  ClickHouseLogLevel,
  createClient,
  type ErrorLogParams,
  type Logger as ClientLogger,
  type LogParams,
  type WarnLogParams,
} from '@clickhouse/client';
import type { Logger } from '@keywatch/logger';
import { ClickHouseRequestError } from './errors.js';
import { identifier, isIdentifier, renderSql, type BindMode, type RenderedSql, type Sql } from './sql.js';
import { FEATURES, parseServerVersion, versionAtLeast, type ServerVersion } from './version.js';

/** How to reach a ClickHouse server. */
export interface ClickHouseOptions {
  /** HTTP interface, e.g. `http://127.0.0.1:8123`. */
  url: string;
  /** Database that unqualified table names resolve to. Default `default`. It must exist. */
  database?: string;
  /** Default `default`. */
  username?: string;
  /** Default empty. */
  password?: string;
  logger: Logger;
  /** Per-request timeout in ms. Default 30 000. */
  requestTimeoutMs?: number;
  /**
   * How {@link sql} values reach the server: `auto` (default) uses server-side query parameters
   * when the server has them (19.11+) and escaped literals otherwise; `always` and `never` force one.
   */
  queryParameters?: 'auto' | 'always' | 'never';
}

/** The ClickHouse operations Keywatch uses. Statements are plain strings or {@link sql} templates. */
export interface ClickHouse {
  /** The database unqualified names resolve to. */
  readonly database: string;
  /** Runs a statement without a result (DDL, `INSERT … SELECT`, `OPTIMIZE`). */
  command(statement: string | Sql): Promise<void>;
  /**
   * Runs a `SELECT` and returns its rows (JSONEachRow). `T` is not checked at run time; 64-bit
   * integers (e.g. `count()`) arrive as strings.
   */
  query<T>(statement: string | Sql): Promise<T[]>;
  /**
   * Inserts rows as JSONEachRow. `DateTime` columns accept `YYYY-MM-DD hh:mm:ss`, ISO 8601 strings
   * and `Date` objects. Omitted columns get their type's default (0, ''), not their `DEFAULT`
   * expression, on 18.16: use `MATERIALIZED` for computed columns.
   */
  insert(table: string, rows: readonly object[]): Promise<void>;
  /** Resolves when the server answers `/ping`; rejects with the reason otherwise. */
  ping(): Promise<void>;
  /** The server's version, asked once and remembered (asked again after a failure). */
  serverVersion(): Promise<ServerVersion>;
  /** A new client with the same settings bound to another database. Close it too. */
  withDatabase(database: string): ClickHouse;
  /** Releases the connections; idempotent. Calls after it reject. */
  close(): Promise<void>;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const STATEMENT_EXCERPT = 300;

function clientLoggerClass(log: Logger): new () => ClientLogger {
  return class implements ClientLogger {
    trace({ module, message, args }: LogParams): void {
      log.trace({ module, args }, message);
    }
    debug({ module, message, args }: LogParams): void {
      log.debug({ module, args }, message);
    }
    info({ module, message, args }: LogParams): void {
      log.info({ module, args }, message);
    }
    // An entry with an error is about a failed request, and every failed request is also thrown to
    // our caller, who decides whether it deserves a log line: logging it here would report it twice.
    warn({ module, message, args, err }: WarnLogParams): void {
      if (err) log.debug({ module, args, err }, message);
      else log.warn({ module, args }, message);
    }
    error({ module, message, args, err }: ErrorLogParams): void {
      log.debug({ module, args, err }, message);
    }
  };
}

function describeStatement(statement: string | Sql): string {
  const text = typeof statement === 'string' ? statement : statement.toString();
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > STATEMENT_EXCERPT ? `${flat.slice(0, STATEMENT_EXCERPT)}…` : flat;
}

/**
 * A ClickHouse client that works with the 18.16 server Debian ships and with current releases:
 * it sends no settings the old server lacks, always names JSONEachRow (the client library's
 * default insert format, JSONCompactEachRow, came later), and binds {@link sql} values as query
 * parameters only where the server has them.
 */
export function createClickHouse(options: ClickHouseOptions): ClickHouse {
  const database = options.database ?? 'default';
  if (!isIdentifier(database) || database.includes('.'))
    throw new TypeError(`ClickHouse database "${database}" is not a plain identifier`);
  const log = options.logger.child({ component: 'clickhouse' });
  // No clickhouse_settings and no response compression here: either would add settings to every
  // request, and 18.16 fails a whole request on one setting it does not know.
  const client = createClient({
    url: options.url,
    database,
    username: options.username ?? 'default',
    password: options.password ?? '',
    request_timeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    log: { LoggerClass: clientLoggerClass(log), level: ClickHouseLogLevel.WARN },
  });
  let version: Promise<ServerVersion> | undefined;
  let closed = false;

  const ensureOpen = (operation: string) => {
    if (closed) throw new Error(`ClickHouse ${operation} after close()`);
  };

  async function bindMode(): Promise<BindMode> {
    if (options.queryParameters === 'always') return 'parameters';
    if (options.queryParameters === 'never') return 'inline';
    return versionAtLeast(await serverVersion(), FEATURES.queryParameters) ? 'parameters' : 'inline';
  }

  async function render(statement: string | Sql): Promise<RenderedSql> {
    return typeof statement === 'string' ? { query: statement, params: {} } : renderSql(statement, await bindMode());
  }

  async function query<T>(statement: string | Sql): Promise<T[]> {
    ensureOpen('query');
    const { query: text, params } = await render(statement);
    try {
      const result = await client.query({
        query: text,
        format: 'JSONEachRow',
        query_params: params,
        // 64-bit integers as JSON strings, as 18.16 always sends them; current releases send numbers
        // by default (losing precision above 2^53). Known to every server we support.
        clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
      });
      return await result.json<T>();
    } catch (error) {
      throw new ClickHouseRequestError('query', error, describeStatement(statement));
    }
  }

  function serverVersion(): Promise<ServerVersion> {
    version ??= query<{ version: string }>('SELECT version() AS version').then(
      (rows) => parseServerVersion(rows[0]?.version ?? ''),
      (error: unknown) => {
        version = undefined;
        throw error;
      },
    );
    return version;
  }

  return {
    database,
    query,
    serverVersion,

    async command(statement) {
      ensureOpen('command');
      const { query: text, params } = await render(statement);
      try {
        await client.command({ query: text, query_params: params });
      } catch (error) {
        throw new ClickHouseRequestError('command', error, describeStatement(statement));
      }
    },

    async insert(table, rows) {
      ensureOpen('insert');
      const target = renderSql(identifier(table), 'inline').query;
      if (rows.length === 0) return;
      try {
        await client.insert({
          table: target,
          values: rows,
          format: 'JSONEachRow',
          // Known since 18.x and still current: lets DateTime columns take ISO 8601 text (what
          // JSON.stringify makes of a Date) besides `YYYY-MM-DD hh:mm:ss`.
          clickhouse_settings: { date_time_input_format: 'best_effort' },
        });
      } catch (error) {
        throw new ClickHouseRequestError('insert', error, `INSERT INTO ${target}`);
      }
    },

    async ping() {
      ensureOpen('ping');
      const result = await client.ping().catch((error: unknown) => ({ success: false as const, error }));
      if (!result.success) throw new ClickHouseRequestError('ping', result.error);
    },

    withDatabase(other) {
      return createClickHouse({ ...options, database: other });
    },

    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

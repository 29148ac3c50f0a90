import { ClickHouseError as ServerError } from '@clickhouse/client';

/** Which {@link ClickHouse} call failed. */
export type ClickHouseOperation = 'command' | 'query' | 'insert' | 'ping';

// Server error codes that say "try again later", not "this request is wrong": timeouts, network,
// overload (memory, too many parts or queries), read-only replicas, unknown insert status.
const RETRYABLE_SERVER_CODES = new Set([3, 159, 160, 202, 209, 210, 241, 242, 252, 285, 319, 425, 999, 1000]);

// 18.16 answers "Code: 73, e.displayText() = DB::Exception: …, e.what() = DB::Exception"; current
// servers "Code: 73. DB::Exception: … (UNKNOWN_FORMAT) (version …)", which the client parses itself.
const OLD_FORMAT = /^Code: (\d+), e\.displayText\(\) = (?:DB::)?Exception: ([\s\S]*?)(?:, e\.what\(\) = [\w:]+)?\s*$/;
const ANY_CODE = /Code: (\d+)/;

/**
 * A failed ClickHouse request. `retryable` is true for transport failures and for server errors
 * that mean "later" (timeouts, overload); false when the request itself is wrong (syntax, unknown
 * table, data that does not parse), so a consumer sends such a batch to its dead letters instead.
 */
export class ClickHouseRequestError extends Error {
  override readonly name = 'ClickHouseRequestError';
  readonly code = 'clickhouse_request_failed';
  readonly retryable: boolean;
  /** The server's error code (e.g. 60 for an unknown table); absent for transport failures. */
  readonly serverCode: number | undefined;

  constructor(
    readonly operation: ClickHouseOperation,
    cause: unknown,
    /** What was sent, without bound values (or the table of an insert). */
    readonly statement?: string,
  ) {
    const { serverCode, message } = describe(cause);
    super(`ClickHouse ${operation} failed: ${message}`, { cause });
    this.serverCode = serverCode;
    this.retryable = serverCode === undefined || RETRYABLE_SERVER_CODES.has(serverCode);
  }
}

function describe(cause: unknown): { serverCode: number | undefined; message: string } {
  if (cause instanceof ServerError) {
    const code = Number(cause.code);
    return {
      serverCode: Number.isInteger(code) ? code : undefined,
      message: `${cause.message.trim()} (code ${cause.code}, ${cause.type})`,
    };
  }
  const text = cause instanceof Error ? cause.message : String(cause);
  const old = OLD_FORMAT.exec(text);
  if (old) return { serverCode: Number(old[1]), message: `${(old[2] ?? '').trim()} (code ${old[1]})` };
  const code = ANY_CODE.exec(text);
  return { serverCode: code ? Number(code[1]) : undefined, message: text.trim() };
}

/** Why a migration run stopped. */
export type MigrationErrorCode = 'migration_invalid' | 'migration_changed' | 'migration_failed';

/** A migration file that is malformed, was changed after it was applied, or failed to apply. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  /** True only when a statement failed for a transient reason (see {@link ClickHouseRequestError}). */
  readonly retryable: boolean;

  constructor(
    readonly code: MigrationErrorCode,
    /** The migration's file name, e.g. `0001_auth_events.sql`. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
    this.retryable = options?.cause instanceof ClickHouseRequestError && options.cause.retryable;
  }
}

import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { ClickHouseRequestError, MigrationError } from './errors.js';

describe('ClickHouse request errors', () => {
  it('read the code of an 18.16 error and call a bad request not retryable', () => {
    const error = new ClickHouseRequestError(
      'insert',
      new Error(
        'Code: 73, e.displayText() = DB::Exception: Unknown format JSONCompactEachRow, e.what() = DB::Exception\n',
      ),
      'INSERT INTO `t`',
    );
    expect(error).toMatchObject({
      code: 'clickhouse_request_failed',
      serverCode: 73,
      retryable: false,
      operation: 'insert',
      statement: 'INSERT INTO `t`',
    });
    expect(error.message).toBe('ClickHouse insert failed: Unknown format JSONCompactEachRow (code 73)');
  });

  it('read the code of a current server error, as the client parsed it', () => {
    const error = new ClickHouseRequestError(
      'query',
      new ClickHouseError({ message: 'Unknown table expression identifier ', code: '60', type: 'UNKNOWN_TABLE' }),
    );
    expect(error).toMatchObject({ serverCode: 60, retryable: false });
    expect(error.message).toContain('UNKNOWN_TABLE');
  });

  it('call overload and transport failures retryable', () => {
    expect(
      new ClickHouseRequestError(
        'insert',
        new Error('Code: 252, e.displayText() = DB::Exception: Too many parts (300)'),
      ).retryable,
    ).toBe(true);
    expect(new ClickHouseRequestError('query', new Error('Code: 159. DB::Exception: Timeout exceeded')).retryable).toBe(
      true,
    );
    expect(
      new ClickHouseRequestError(
        'ping',
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      ),
    ).toMatchObject({ serverCode: undefined, retryable: true });
  });

  it('let a migration failure inherit retryability from its cause', () => {
    const transient = new ClickHouseRequestError('command', new Error('socket hang up'));
    expect(
      new MigrationError('migration_failed', '0001_a.sql', 'statement 1 of 1 failed', { cause: transient }).retryable,
    ).toBe(true);
    expect(new MigrationError('migration_changed', '0001_a.sql', 'changed').retryable).toBe(false);
  });
});

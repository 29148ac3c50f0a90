import { describe, expect, it } from 'vitest';
import { MigrationError } from './errors.js';
import { meetsRequirement, parseMigrationFile, splitStatements, substitute } from './migration-files.js';
import { parseServerVersion } from './version.js';

describe('migration files', () => {
  it('take version and name from NNNN_name.sql', () => {
    expect(parseMigrationFile('0007_auth_events.sql', 'SELECT 1;')).toMatchObject({
      version: 7,
      name: 'auth_events',
      file: '0007_auth_events.sql',
      requires: undefined,
    });
  });

  it('refuse other names, naming the file', () => {
    for (const name of ['7_x.sql', '0007-x.sql', '0007_.sql', '0007_x.SQL', '00007_x.sql']) {
      expect(() => parseMigrationFile(name, ''), name).toThrow(MigrationError);
    }
    expect(() => parseMigrationFile('12_bad.sql', '')).toThrow(/^12_bad\.sql: name must be NNNN_name\.sql/);
  });

  it('read a version requirement from the header comments', () => {
    expect(
      parseMigrationFile(
        '0003_ttl.sql',
        '-- keeps 90 days\n-- requires: 19.6\nALTER TABLE t MODIFY TTL ts + INTERVAL 90 DAY;',
      ).requires,
    ).toEqual({ operator: '>=', version: '19.6' });
    expect(parseMigrationFile('0003_ttl.sql', '-- requires: >= 19.6\n').requires).toEqual({
      operator: '>=',
      version: '19.6',
    });
    expect(parseMigrationFile('0004_no_ttl.sql', '\n--Requires:<19.6\nSELECT 1;').requires).toEqual({
      operator: '<',
      version: '19.6',
    });
    expect(parseMigrationFile('0005_x.sql', 'SELECT 1;\n-- requires: 19.6\n').requires).toBeUndefined();
  });

  it('refuse a requirement it cannot read', () => {
    expect(() => parseMigrationFile('0003_ttl.sql', '-- requires: nineteen\n')).toThrow(/0003_ttl\.sql: cannot read/);
    expect(() => parseMigrationFile('0003_ttl.sql', '-- requires: 19.6\n-- requires: 20.1\n')).toThrow(/more than one/);
  });

  it('read the earlier checksums a file accepts from valid-checksum header lines', () => {
    const a = 'a'.repeat(64);
    const b = 'B'.repeat(64);
    const file = parseMigrationFile(
      '0010_x.sql',
      `-- why\n-- valid-checksum: ${a}\n--valid-checksum:${b}\nSELECT 1;\n`,
    );
    expect(file.validChecksums).toEqual([a, b.toLowerCase()]);
    expect(parseMigrationFile('0010_x.sql', `SELECT 1;\n-- valid-checksum: ${a}\n`).validChecksums).toEqual([]);
    expect(() => parseMigrationFile('0010_x.sql', '-- valid-checksum: abc\n')).toThrow(/0010_x\.sql: cannot read/);
  });

  it('checksum the text, whatever its line endings', () => {
    const unix = parseMigrationFile('0001_a.sql', 'CREATE TABLE a (x UInt8) ENGINE = Memory;\n');
    expect(parseMigrationFile('0001_a.sql', 'CREATE TABLE a (x UInt8) ENGINE = Memory;\r\n').checksum).toBe(
      unix.checksum,
    );
    expect(parseMigrationFile('0001_a.sql', 'CREATE TABLE a (x UInt16) ENGINE = Memory;\n').checksum).not.toBe(
      unix.checksum,
    );
    expect(unix.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('substitute ${database} and refuse other placeholders', () => {
    expect(substitute('0001_a.sql', 'CREATE TABLE ${database}.a AS ${database}.b', { database: 'kw' })).toBe(
      'CREATE TABLE kw.a AS kw.b',
    );
    expect(() => substitute('0002_b.sql', 'SELECT ${db}', { database: 'kw' })).toThrow(
      /0002_b\.sql: unknown placeholder \$\{db\}/,
    );
  });

  it('apply on the servers their requirement names', () => {
    const old = parseServerVersion('18.16.1');
    const current = parseServerVersion('24.8.1');
    expect(meetsRequirement(old, undefined)).toBe(true);
    expect(meetsRequirement(old, { operator: '>=', version: '19.6' })).toBe(false);
    expect(meetsRequirement(current, { operator: '>=', version: '19.6' })).toBe(true);
    expect(meetsRequirement(old, { operator: '<', version: '19.6' })).toBe(true);
    expect(meetsRequirement(current, { operator: '<', version: '19.6' })).toBe(false);
  });
});

describe('statement splitting', () => {
  it('splits at semicolons and drops comments', () => {
    const text = `-- header; with a semicolon
CREATE TABLE a (x UInt8) -- trailing comment;
ENGINE = Memory;

/* block; comment */ CREATE TABLE b (y UInt8) ENGINE = Memory;
-- only a comment at the end`;
    expect(splitStatements(text)).toEqual([
      'CREATE TABLE a (x UInt8) \nENGINE = Memory',
      'CREATE TABLE b (y UInt8) ENGINE = Memory',
    ]);
  });

  it('keeps semicolons, dashes and escaped quotes inside quotes', () => {
    const text = `INSERT INTO t VALUES ('a;b', 'it\\'s -- not a comment', 'x''y;');
SELECT "we;ird", \`na;me\` FROM t`;
    expect(splitStatements(text)).toEqual([
      `INSERT INTO t VALUES ('a;b', 'it\\'s -- not a comment', 'x''y;')`,
      'SELECT "we;ird", `na;me` FROM t',
    ]);
  });

  it('returns nothing for comments and blank lines only', () => {
    expect(splitStatements('-- nothing\n\n;\n  ;')).toEqual([]);
  });
});

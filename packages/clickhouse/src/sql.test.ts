import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDateTime, identifier, join, literal, renderSql, sql } from './sql.js';

describe('sql templates', () => {
  it('inline every value as a literal on servers without query parameters', () => {
    const rendered = renderSql(
      sql`SELECT * FROM t WHERE key_id = ${"k'1"} AND status >= ${400} AND ok = ${true} AND x IS ${null}`,
      'inline',
    );
    expect(rendered).toEqual({
      query: "SELECT * FROM t WHERE key_id = 'k\\'1' AND status >= 400 AND ok = 1 AND x IS NULL",
      params: {},
    });
  });

  it('send strings as typed query parameters where the server has them, and numbers as literals', () => {
    const rendered = renderSql(
      sql`SELECT * FROM t WHERE key_id = ${"k'1"} AND tenant_id = ${'t'} AND status >= ${400}`,
      'parameters',
    );
    expect(rendered).toEqual({
      query: 'SELECT * FROM t WHERE key_id = {p0:String} AND tenant_id = {p1:String} AND status >= 400',
      params: { p0: "k'1", p1: 't' },
    });
  });

  it('parenthesise negative numbers so that a minus sign before them cannot start a comment', () => {
    expect(renderSql(sql`SELECT 1-${-1}`, 'inline').query).toBe('SELECT 1-(-1)');
    expect(renderSql(sql`SELECT ${-2n}, ${2n ** 70n}, ${-0}, ${0.5}`, 'inline').query).toBe(
      `SELECT (-2), ${2n ** 70n}, 0, 0.5`,
    );
  });

  it('write subnormal numbers, which 18.16 cannot parse, as an exact quotient', () => {
    expect(literal(5e-324)).toBe(`(1 / ${2 ** 537} / ${2 ** 537})`);
    fc.assert(
      fc.property(fc.double({ min: -(2 ** -1022), max: 2 ** -1022, noNaN: true }), (x) => {
        const match = /^\((-?)(\d+) \/ ([\d.e+]+) \/ ([\d.e+]+)\)$/.exec(literal(x));
        if (x === 0 || Math.abs(x) === 2 ** -1022) return;
        expect(match).not.toBeNull();
        const [, sign, units, a, b] = match ?? [];
        expect((sign ? -1 : 1) * (Number(units) / Number(a) / Number(b))).toBe(x);
      }),
    );
  });

  it('refuse values that have no faithful literal', () => {
    expect(() => literal(Number.NaN)).toThrow(/finite/);
    expect(() => literal(Number.POSITIVE_INFINITY)).toThrow(/finite/);
    expect(() => renderSql(sql`SELECT ${undefined as unknown as string}`, 'inline')).toThrow(
      /value #1 cannot be bound \(undefined\)/,
    );
    expect(() => renderSql(sql`SELECT ${{ a: 1 } as unknown as string}`, 'inline')).toThrow(
      /cannot be bound \(object\)/,
    );
    expect(() => literal(new Date(Number.NaN))).toThrow(/invalid Date/);
    expect(() => literal(new Date('1969-12-31T23:59:59Z'))).toThrow(/outside DateTime's range/);
  });

  it('render dates as UTC DateTime values, whole seconds', () => {
    expect(literal(new Date('2024-01-02T03:04:05.987Z'))).toBe("toDateTime('2024-01-02 03:04:05', 'UTC')");
    expect(formatDateTime(new Date(0))).toBe('1970-01-01 00:00:00');
    expect(renderSql(sql`SELECT ${new Date(0)}`, 'parameters')).toEqual({
      query: "SELECT toDateTime('1970-01-01 00:00:00', 'UTC')",
      params: {},
    });
  });

  it('render arrays recursively', () => {
    expect(literal(['a', 1, [true, null], []])).toBe("['a', 1, [1, NULL], []]");
    expect(renderSql(sql`SELECT has(${['x', 'y']}, k)`, 'parameters')).toEqual({
      query: 'SELECT has([{p0:String}, {p1:String}], k)',
      params: { p0: 'x', p1: 'y' },
    });
  });

  it('splice nested fragments with their values, numbering parameters across them', () => {
    const where = sql`tenant_id = ${'t1'}`;
    const statement = sql`SELECT count() FROM ${identifier('db.auth_events')} WHERE ${where} AND key_id IN (${join(['k1', 'k2'])})`;
    expect(renderSql(statement, 'parameters')).toEqual({
      query:
        'SELECT count() FROM `db`.`auth_events` WHERE tenant_id = {p0:String} AND key_id IN ({p1:String}, {p2:String})',
      params: { p0: 't1', p1: 'k1', p2: 'k2' },
    });
    expect(renderSql(statement, 'inline').query).toBe(
      "SELECT count() FROM `db`.`auth_events` WHERE tenant_id = 't1' AND key_id IN ('k1', 'k2')",
    );
    expect(renderSql(sql`x IN (${join([])})`, 'inline').query).toBe('x IN ()');
  });

  it('print as text without values, safe to log', () => {
    expect(sql`SELECT ${'secret'} FROM ${identifier('t')} WHERE ${sql`a = ${1}`}`.toString()).toBe(
      'SELECT ? FROM `t` WHERE a = ?',
    );
  });
});

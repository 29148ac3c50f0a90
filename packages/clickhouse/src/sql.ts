/**
 * A value that may be bound into a {@link sql} statement. Arrays render as ClickHouse arrays
 * (recursively); a nested {@link Sql} fragment is spliced in with its own values still bound.
 */
export type SqlValue = string | number | bigint | boolean | Date | null | Sql | readonly SqlValue[];

/** How bound values reach the server: inlined as escaped literals, or as server-side query parameters. */
export type BindMode = 'inline' | 'parameters';

/** A statement ready to send: the text, and the `param_*` values when bound as parameters. */
export interface RenderedSql {
  query: string;
  /** Query parameter values by name (`p0`, `p1`, …); empty in `inline` mode. */
  params: Record<string, string>;
}

/**
 * A SQL statement or fragment whose values are kept apart from its text until it is sent. Build
 * one with {@link sql} or {@link identifier}; the client renders it for the server it talks to.
 */
export class Sql {
  /** @internal Use {@link sql}. */
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly SqlValue[],
  ) {
    if (strings.length !== values.length + 1) throw new TypeError('sql: strings and values do not interleave');
  }

  /** The text with `?` for each bound value: safe to log, since it holds no values. */
  toString(): string {
    return this.strings.reduce(
      (text, part, i) => text + (i > 0 ? describePlaceholder(this.values[i - 1]) : '') + part,
      '',
    );
  }
}

function describePlaceholder(value: SqlValue | undefined): string {
  return value instanceof Sql ? value.toString() : '?';
}

/**
 * Tagged template for a statement with bound values: ``sql`SELECT count() FROM auth_events WHERE key_id = ${keyId}` ``.
 * Values never become SQL text of their own: strings are escaped literals on servers without
 * query parameters (before 19.11) and `{pN:String}` parameters on newer ones; numbers, booleans,
 * dates and `null` render as literals the package writes itself.
 */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): Sql {
  return new Sql([...strings], values);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `name` is a plain identifier or `database.table`, as {@link identifier} accepts. */
export function isIdentifier(name: string): boolean {
  const parts = name.split('.');
  return parts.length <= 2 && parts.every((part) => IDENTIFIER.test(part));
}

/**
 * A table, column or database name, or `database.table`: only `[A-Za-z_][A-Za-z0-9_]*` parts, so
 * it cannot carry SQL; rendered back-quoted so reserved words work too.
 */
export function identifier(name: string): Sql {
  if (!isIdentifier(name))
    throw new TypeError(`sql: "${name}" is not an identifier ([A-Za-z_][A-Za-z0-9_]*, optionally database.table)`);
  return new Sql(
    [
      name
        .split('.')
        .map((part) => `\`${part}\``)
        .join('.'),
    ],
    [],
  );
}

/** Joins values (or fragments) with `separator` (default `, `), e.g. for `IN (…)` lists. */
export function join(values: readonly SqlValue[], separator: Sql = sql`, `): Sql {
  if (values.length === 0) return new Sql([''], []);
  const strings = [''];
  const bound: SqlValue[] = [];
  values.forEach((value, i) => {
    if (i > 0) {
      bound.push(separator);
      strings.push('');
    }
    bound.push(value);
    strings.push('');
  });
  return new Sql(strings, bound);
}

// ClickHouse reads these escapes in quoted strings on every version; other control characters go
// as \xHH so a literal never holds a raw byte that a log line or terminal would interpret.
const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NEEDS_ESCAPE = /[\\'\x00-\x1f\x7f]/g;

const LONE_SURROGATE = /\p{Surrogate}/u;

// A lone surrogate has no UTF-8 form: sending it would silently change the value.
function assertWellFormed(value: string): void {
  if (LONE_SURROGATE.test(value)) throw new TypeError('sql: string contains a lone surrogate (not valid Unicode)');
}

/** A quoted ClickHouse string literal whose value is exactly `value`. */
export function quoteString(value: string): string {
  assertWellFormed(value);
  return `'${value.replace(NEEDS_ESCAPE, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

const MAX_DATETIME_MS = 2 ** 32 * 1000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DD hh:mm:ss` in UTC, the text form of a ClickHouse `DateTime` (milliseconds dropped). */
export function formatDateTime(date: Date): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new TypeError('sql: invalid Date');
  if (ms < 0 || ms >= MAX_DATETIME_MS)
    throw new RangeError(`sql: ${date.toISOString()} is outside DateTime's range (1970 to 2106)`);
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}

const MIN_NORMAL = 2 ** -1022;
const HALF_SUBNORMAL_SCALE = String(2 ** 537);

function numberLiteral(value: number | bigint): string {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`sql: ${value} is not a finite number`);
  if (typeof value === 'number' && value !== 0 && Math.abs(value) < MIN_NORMAL) {
    // 18.16 refuses subnormal literals such as 5e-324 as a syntax error. A subnormal is an integer
    // multiple of 2^-1074, and dividing that integer by 2^537 twice yields the same double exactly.
    const units = Math.abs(value) / Number.MIN_VALUE;
    return `(${value < 0 ? '-' : ''}${units} / ${HALF_SUBNORMAL_SCALE} / ${HALF_SUBNORMAL_SCALE})`;
  }
  const text = String(value);
  // Parenthesised so that `x-${n}` can never become `x--1`, which starts a comment.
  return text.startsWith('-') ? `(${text})` : text;
}

/**
 * The literal for one value, as rendered in `inline` mode: strings quoted and escaped, numbers
 * finite only, booleans 1/0, dates as `toDateTime('YYYY-MM-DD hh:mm:ss', 'UTC')`, null as NULL,
 * arrays as `[…]`.
 */
export function literal(value: Exclude<SqlValue, Sql>): string {
  return renderValue(value, { mode: 'inline', params: {}, next: 0 }, 'value');
}

interface RenderState {
  mode: BindMode;
  params: Record<string, string>;
  next: number;
}

function renderValue(value: SqlValue | undefined, state: RenderState, where: string): string {
  if (value === null) return 'NULL';
  if (value instanceof Sql) return renderInto(value, state);
  if (Array.isArray(value))
    return `[${value.map((item: SqlValue, i) => renderValue(item, state, `${where}[${i}]`)).join(', ')}]`;
  if (value instanceof Date) return `toDateTime('${formatDateTime(value)}', 'UTC')`;
  switch (typeof value) {
    case 'string': {
      if (state.mode === 'inline') return quoteString(value);
      assertWellFormed(value);
      const name = `p${state.next++}`;
      state.params[name] = value;
      return `{${name}:String}`;
    }
    case 'number':
    case 'bigint':
      return numberLiteral(value);
    case 'boolean':
      return value ? '1' : '0';
    default:
      throw new TypeError(`sql: ${where} cannot be bound (${value === undefined ? 'undefined' : typeof value})`);
  }
}

function renderInto(statement: Sql, state: RenderState): string {
  let text = statement.strings[0] ?? '';
  statement.values.forEach((value, i) => {
    text += renderValue(value, state, `value #${i + 1}`) + (statement.strings[i + 1] ?? '');
  });
  return text;
}

/** Renders `statement` for sending: every value inlined as a literal, or strings as query parameters. */
export function renderSql(statement: Sql, mode: BindMode): RenderedSql {
  const state: RenderState = { mode, params: {}, next: 0 };
  return { query: renderInto(statement, state), params: state.params };
}

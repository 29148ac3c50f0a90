import { z } from 'zod';

/**
 * A config field: a zod schema that reads one environment variable (a string, or undefined when
 * unset) and outputs a typed value. A blank value (empty or only whitespace) counts as unset, so
 * `LOG_LEVEL=` in an env file means "use the default".
 */
export type Field<T> = z.ZodType<T, string | undefined>;

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

/** The reason given for a required variable that is unset or blank. */
export const REQUIRED = 'required but not set';

function isBlank(raw: string | undefined): raw is undefined {
  return raw === undefined || raw.trim() === '';
}

// Reasons never include the value: parseConfig decides whether a value may be shown.
// `fallback` is a function so that mutable defaults (lists) are fresh on every parse.
function field<T>(parse: (raw: string) => Parsed<T>, fallback: (() => T) | undefined): Field<T> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (isBlank(raw)) {
        if (fallback) return fallback();
        ctx.addIssue(REQUIRED);
        return z.NEVER;
      }
      const result = parse(raw);
      if (result.ok) return result.value;
      ctx.addIssue(result.reason);
      return z.NEVER;
    });
}

const withDefault = <T>(value: T | undefined): (() => T) | undefined => (value === undefined ? undefined : () => value);

/**
 * A string, taken as is (not trimmed). Required unless `default` is given.
 * @param options.pattern - the whole value must match it (no default: anything goes).
 */
export function str(options: { default?: string; pattern?: RegExp } = {}): Field<string> {
  const { pattern } = options;
  return field(
    (raw) => (pattern && !pattern.test(raw) ? bad(`must match ${String(pattern)}`) : ok(raw)),
    withDefault(options.default),
  );
}

/**
 * An absolute URL, returned as the trimmed string. Required unless `default` is given.
 * @param options.protocols - allowed schemes without the colon, e.g. `['http', 'https']`
 *   (default: any).
 */
export function url(options: { default?: string; protocols?: readonly string[] } = {}): Field<string> {
  const { protocols } = options;
  const expected = protocols ? `expected a URL with scheme ${protocols.join(' or ')}` : 'expected an absolute URL';
  return field((raw) => {
    const text = raw.trim();
    const parsed = URL.parse(text);
    if (!parsed) return bad(expected);
    if (protocols && !protocols.includes(parsed.protocol.slice(0, -1))) return bad(expected);
    return ok(text);
  }, withDefault(options.default));
}

/**
 * A base-10 integer, optionally bounded (inclusive). Required unless `default` is given.
 * @param options.min - lowest accepted value (default: no bound).
 * @param options.max - highest accepted value (default: no bound).
 */
export function int(options: { default?: number; min?: number; max?: number } = {}): Field<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  const expected =
    options.min !== undefined && options.max !== undefined
      ? `expected an integer from ${min} to ${max}`
      : options.min !== undefined
        ? `expected an integer >= ${min}`
        : options.max !== undefined
          ? `expected an integer <= ${max}`
          : 'expected an integer';
  return field((raw) => {
    const text = raw.trim();
    const value = Number(text);
    if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
      return bad(expected);
    }
    return ok(value);
  }, withDefault(options.default));
}

/** A boolean: `true`/`1` or `false`/`0` (any case). Required unless `default` is given. */
export function bool(options: { default?: boolean } = {}): Field<boolean> {
  return field((raw) => {
    const text = raw.trim().toLowerCase();
    if (text === 'true' || text === '1') return ok(true);
    if (text === 'false' || text === '0') return ok(false);
    return bad('expected true, false, 1 or 0');
  }, withDefault(options.default));
}

/**
 * A comma-separated list; items are trimmed and empty items dropped, and a value that is set must
 * hold at least one item. Required unless `default` is given (`default: []` makes it optional).
 * @param options.item - checks one item, returning the reason it is bad or undefined if fine
 *   (default: any non-empty string).
 */
export function list(
  options: { default?: readonly string[]; item?: (item: string) => string | undefined } = {},
): Field<string[]> {
  const { item, default: fallback } = options;
  return field(
    (raw) => {
      const items = raw
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
      if (items.length === 0) return bad('expected a comma-separated list with at least one item');
      for (const [index, value] of items.entries()) {
        const reason = item?.(value);
        if (reason !== undefined) return bad(`item ${index + 1}: ${reason}`);
      }
      return ok(items);
    },
    fallback && (() => [...fallback]),
  );
}

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * Parses `'500ms'`, `'30s'`, `'5m'`, `'1h'` or a plain integer of milliseconds into milliseconds;
 * undefined if the text is not such a duration.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!match?.[1]) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof DURATION_UNITS_MS;
  const ms = Number(match[1]) * DURATION_UNITS_MS[unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * A duration in milliseconds, written as `500ms`, `30s`, `5m`, `1h` or a plain integer of ms.
 * Required unless `default` is given (in ms or as a duration string, e.g. `'30s'`).
 */
export function duration(options: { default?: number | string } = {}): Field<number> {
  let fallback: (() => number) | undefined;
  if (typeof options.default === 'string') {
    const ms = parseDuration(options.default);
    if (ms === undefined) throw new TypeError(`duration(): bad default ${JSON.stringify(options.default)}`);
    fallback = () => ms;
  } else {
    fallback = withDefault(options.default);
  }
  return field((raw) => {
    const ms = parseDuration(raw);
    return ms === undefined ? bad('expected a duration such as 500ms, 30s, 5m, 1h or integer milliseconds') : ok(ms);
  }, fallback);
}

/** One of `values`, matched exactly. Required unless `default` is given. */
export function enumOf<const V extends readonly [string, ...string[]]>(
  values: V,
  options: { default?: V[number] } = {},
): Field<V[number]> {
  return field((raw) => {
    const text = raw.trim();
    const found = values.find((value) => value === text);
    return found === undefined ? bad(`expected one of: ${values.join(', ')}`) : ok(found);
  }, withDefault(options.default));
}

/**
 * Makes a field without a default optional: unset or blank gives `undefined`; a value that is set
 * must still be valid.
 */
export function optional<T>(inner: Field<T>): Field<T | undefined> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (isBlank(raw)) return undefined;
      const result = inner.safeParse(raw);
      if (result.success) return result.data;
      for (const issue of result.error.issues) ctx.addIssue(issue.message);
      return z.NEVER;
    });
}

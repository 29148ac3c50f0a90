import type { z } from 'zod';

/** One reason an input was refused: `field` is a dotted path (`rate_limit.limit`), `''` for the whole input. */
export interface Issue {
  field: string;
  reason: string;
}

/** The result of {@link validate} and {@link decodeJson}: the typed value, or every issue found. */
export type Validated<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks `input` against `schema` and lists every failing field, not just the first.
 * Unknown fields are dropped from the value rather than refused, so newer producers can add optional fields.
 */
export function validate<T>(schema: z.ZodType<T>, input: unknown): Validated<T> {
  const result = schema.safeParse(input, { error: plainReason });
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    // A strict object's unknown fields come as one issue at the object's path; name each field.
    issues: result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            field: [...issue.path, key].map(String).join('.'),
            reason: 'is not a known field',
          }))
        : [{ field: issue.path.map(String).join('.'), reason: issue.message }],
    ),
  };
}

/**
 * Decodes one message body (UTF-8 JSON) and validates it. Empty bodies, invalid UTF-8 and invalid JSON
 * are reported on field `''`; reasons never quote the body, which may hold a credential.
 */
export function decodeJson<T>(schema: z.ZodType<T>, bytes: Buffer | string | null | undefined): Validated<T> {
  let text: string;
  try {
    text = typeof bytes === 'string' || bytes == null ? (bytes ?? '') : utf8.decode(bytes);
  } catch {
    return rootIssue('invalid UTF-8');
  }
  if (text.trim() === '') return rootIssue('empty message');
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    return rootIssue(`invalid JSON: ${describeJsonError(error)}`);
  }
  return validate(schema, input);
}

/**
 * One line for a DLQ header or an error message: `ts: is required; rate_limit.limit: …`.
 * @param maxLength - longer results are cut and end in `…`; defaults to 1000
 */
export function formatIssues(issues: readonly Issue[], maxLength = 1000): string {
  const line = issues
    .map(({ field, reason }) => (field === '' ? reason : `${field}: ${reason}`))
    .join('; ')
    .replace(/\s+/g, ' ');
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}

// Only rewrites zod's least readable defaults; `undefined` keeps zod's own message.
function plainReason(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type' && issue.code !== 'invalid_value') return undefined;
  if (issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'must be an integer';
  return undefined;
}

function rootIssue(reason: string): { ok: false; issues: Issue[] } {
  return { ok: false, issues: [{ field: '', reason }] };
}

function describeJsonError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // V8 quotes a slice of the input ("Unexpected token 'x', \"sk_live_…\" is not valid JSON").
  return message.replace(/,?\s*(?:\.\.\.)?".*"(?:\.\.\.)?\s+is not valid JSON/s, ' (input is not valid JSON)');
}

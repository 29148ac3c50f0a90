import { pino } from 'pino';

/** What redacted values are replaced with. */
export const CENSOR = '[redacted]';

/**
 * Field paths pino censors outright (fast-redact syntax; `*` is one level). Names are
 * case-sensitive here; {@link scrubValue} also catches other spellings at any depth.
 */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers["x-api-key"]',
  ...['secret', 'key', 'apiKey', 'api_key', 'rootKey', 'password', 'token', 'payload', 'raw'].flatMap((name) => [
    name,
    `*.${name}`,
  ]),
  // Kafka message values and HTTP bodies carry raw event payloads.
  'value',
  'body',
];

const API_KEY = String.raw`(pk|sk)_(dev|live)_[0-9A-Za-z]{20,}`;
const BEARER = String.raw`\b(Bearer)\s+[A-Za-z0-9\-._~+/]+=*`;
// Anchored on '://' rather than the scheme so that long runs of letters (base64 blobs) stay cheap;
// bounded, and never crossing a quote or backslash, so a match stays inside one JSON string.
const URL_USERINFO = String.raw`(://)[^\s/@:"\\]{0,256}:[^\s/@"\\]{0,256}@`;
// Webhook signing secrets (`whsec_` + base64url, packages/webhooks).
const WEBHOOK_SECRET = String.raw`\b(whsec)_[A-Za-z0-9_-]{20,}`;
const SECRET_TEXT = new RegExp(`${API_KEY}|${BEARER}|${URL_USERINFO}|${WEBHOOK_SECRET}`, 'gi');

/**
 * Replaces API keys (`sk_live_…` becomes `sk_live_[redacted]`), webhook secrets (`whsec_[redacted]`),
 * `Bearer` tokens and passwords in
 * URLs (`redis://user:pw@host` becomes `redis://[redacted]@host`) in free text. Idempotent, and
 * safe on a serialized JSON line (it never crosses a string quote).
 */
export function redactSecrets(text: string): string {
  return text.replace(SECRET_TEXT, (...groups: (string | undefined)[]) => {
    const [, type, env, bearer, separator, webhook] = groups;
    if (type !== undefined) return `${type}_${env ?? ''}_${CENSOR}`;
    if (bearer !== undefined) return `${bearer} ${CENSOR}`;
    if (webhook !== undefined) return `${webhook}_${CENSOR}`;
    return `${separator ?? ''}${CENSOR}@`;
  });
}

// Matched against the lower-cased field name without '-' and '_', so `X-Api-Key`, `apiKey`,
// `CLICKHOUSE_PASSWORD` and `webhookSecret` all count; `key_id` and `key_type` do not.
const SENSITIVE_FIELD =
  /secret|passw(?:or)?d|token|authorization|cookie|apikey|rootkey|privatekey|^key$|^payload$|^raw$/;
const MAX_DEPTH = 8;

function isSensitiveField(name: string): boolean {
  return SENSITIVE_FIELD.test(name.toLowerCase().replace(/[-_]/g, ''));
}

/**
 * A copy of `value` that is safe to log: strings pass through {@link redactSecrets}, fields with
 * secret-sounding names are censored, binary data is replaced by its size, Errors become plain
 * objects (type, message, stack) and anything deeper than 8 levels is cut. The input is not changed.
 */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return `[redacted ${value.byteLength} bytes]`;
  }
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (value instanceof Error) return scrubValue(pino.stdSerializers.err(value), depth);
  if (Array.isArray(value)) return value.map((item: unknown) => scrubValue(item, depth + 1));
  // Dates, URLs and the like serialize themselves; the final line still goes through redactSecrets.
  if ('toJSON' in value && typeof value.toJSON === 'function') return value;
  const copy: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    copy[name] = isSensitiveField(name) && field != null ? CENSOR : scrubValue(field, depth + 1);
  }
  return copy;
}

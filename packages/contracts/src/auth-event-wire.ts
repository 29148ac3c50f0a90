import { isIP } from 'node:net';
import { isUtf8 } from 'node:buffer';
import { AuthEvent, authEventMessageKey } from './auth-event.js';
import { KeyEnvironment, KeyType } from './keys.js';
import { Outcome } from './outcomes.js';
import { decodeJson, formatIssues } from './validation.js';

/**
 * The wire form of `auth-events`: {@link authEventMessage} encodes (every producer), and
 * {@link decodeAuthEvent} decodes on the consumers' hot path (straight-line checks first, the zod
 * schema only for what they do not accept, so refusals carry the contract's own reasons).
 * @module
 */

/**
 * One auth event's message value: its JSON, fields in the object's own order. Producers build
 * events in the contract's field order, so the decoder's parsed objects share one shape.
 */
export function encodeAuthEvent(event: AuthEvent): string {
  return JSON.stringify(event);
}

/** The Kafka message of an auth event: key {@link authEventMessageKey}, value {@link encodeAuthEvent}. */
export function authEventMessage(event: AuthEvent): { key: string; value: string } {
  return { key: authEventMessageKey(event), value: encodeAuthEvent(event) };
}

/** What {@link decodeAuthEvent} makes of one message body. */
export type DecodedAuthEvent = { ok: true; event: AuthEvent } | { ok: false; reason: string };

const OUTCOMES: ReadonlySet<unknown> = new Set(Outcome.options);
const KEY_TYPES: ReadonlySet<unknown> = new Set(KeyType.options);
const ENVIRONMENTS: ReadonlySet<unknown> = new Set(KeyEnvironment.options);
// The contract's ids (ids.ts) and event time (time.ts), as one test each.
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const EVENT_TIME = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const NOT_IN_ROUTE = /[?#\s]/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const nonEmptyOrNull = (value: unknown) => value === null || nonEmpty(value);
const stringOrNull = (value: unknown) => value === null || typeof value === 'string';
const count = (value: unknown, min: number) => Number.isSafeInteger(value) && (value as number) >= min;

function isEventTime(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = EVENT_TIME.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return Number(match[3]) <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0));
}

function isRateLimit(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== 'object' || Array.isArray(value)) return false;
  const limit = value as Record<string, unknown>;
  return count(limit.limit, 0) && count(limit.remaining, 0) && count(limit.window_s, 1);
}

/**
 * The contract's {@link AuthEvent} schema as straight-line checks, for the hot path: true only for
 * values the zod schema accepts too (it may refuse a few that zod would accept; those take the
 * zod path). Unknown fields are ignored, as the schema drops them.
 */
export function isAuthEvent(value: unknown): value is AuthEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const e = value as Record<string, unknown>;
  return (
    e.v === 1 &&
    typeof e.event_id === 'string' &&
    (UUID_V7.test(e.event_id) || ULID.test(e.event_id)) &&
    isEventTime(e.ts) &&
    nonEmpty(e.gateway_id) &&
    nonEmpty(e.request_id) &&
    nonEmptyOrNull(e.tenant_id) &&
    nonEmptyOrNull(e.key_id) &&
    (e.key_type === null || KEY_TYPES.has(e.key_type)) &&
    (e.environment === null || ENVIRONMENTS.has(e.environment)) &&
    nonEmptyOrNull(e.key_fingerprint) &&
    OUTCOMES.has(e.outcome) &&
    nonEmptyOrNull(e.scope) &&
    nonEmpty(e.method) &&
    typeof e.route === 'string' &&
    e.route.startsWith('/') &&
    !NOT_IN_ROUTE.test(e.route) &&
    Number.isSafeInteger(e.status) &&
    (e.status as number) >= 100 &&
    (e.status as number) <= 599 &&
    typeof e.latency_ms === 'number' &&
    Number.isFinite(e.latency_ms) &&
    e.latency_ms >= 0 &&
    typeof e.ip === 'string' &&
    isIP(e.ip) !== 0 &&
    stringOrNull(e.user_agent) &&
    stringOrNull(e.origin) &&
    isRateLimit(e.rate_limit)
  );
}

/**
 * Decodes and validates one `auth-events` message body. Valid UTF-8 JSON that passes
 * {@link isAuthEvent} is taken as is (no zod, no copy); anything else goes through the contract's
 * own {@link decodeJson}, so a refused message carries exactly the contract's reasons (and a
 * value the fast check was unsure of is still accepted when the contract accepts it).
 */
export function decodeAuthEvent(bytes: Buffer | null): DecodedAuthEvent {
  if (bytes !== null && bytes.length > 0 && isUtf8(bytes)) {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      value = undefined;
    }
    if (isAuthEvent(value)) return { ok: true, event: value };
  }
  const decoded = decodeJson(AuthEvent, bytes);
  return decoded.ok ? { ok: true, event: decoded.value } : { ok: false, reason: formatIssues(decoded.issues) };
}

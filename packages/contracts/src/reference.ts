import { z } from 'zod';
import { Alert, AlertAction, AlertType, Severity } from './alert.js';
import { AuthEvent, RateLimitState, RouteTemplate } from './auth-event.js';
import { ContractVersion, IpAddress, NonEmptyString } from './fields.js';
import { EventId } from './ids.js';
import { KeyLifecycleEvent, KeyLifecycleType, KeyState } from './key-lifecycle.js';
import { KEY_CHECKSUM_LENGTH, KEY_RANDOM_LENGTH, KeyEnvironment, KeyFormatError, KeyType, keyPrefix } from './keys.js';
import { OUTCOME_STATUS, Outcome } from './outcomes.js';
import { RequestedAction, RevocationTrigger } from './revocation-trigger.js';
import { DEFAULT_SECRET_SCOPES, PUBLIC_SCOPES, SCOPE_GROUPS } from './scopes.js';
import { EventTime, Rfc3339 } from './time.js';
import { TOPICS } from './topics.js';

/**
 * The tables of docs/contracts.md that come straight from this package, rendered as markdown.
 * The meaning maps are typed by the schemas, so a new field or enum value does not compile until
 * it is described here; docs.test.ts fails when the file differs from the rendering.
 * @module
 */

type Fields<T> = { readonly [K in keyof T]-?: string };
type Meanings<E extends string> = Readonly<Record<E, string>>;

// Named field schemas shown by what they mean rather than by their zod type.
const NAMED = new Map<z.ZodType, string>([
  [ContractVersion, '`1`'],
  [EventId, 'string: UUIDv7 or ULID'],
  [EventTime, 'string: RFC 3339 UTC with milliseconds'],
  [Rfc3339, 'string: RFC 3339 (any offset)'],
  [IpAddress, 'string: IPv4 or IPv6 address'],
  [NonEmptyString, 'non-empty string'],
  [RouteTemplate, 'string: route template'],
  [RateLimitState, 'object (below)'],
]);

function typeOf(schema: z.ZodType): string {
  const named = NAMED.get(schema);
  if (named !== undefined) return named;
  if (schema instanceof z.ZodNullable) return `${typeOf(schema.unwrap() as z.ZodType)} or null`;
  if (schema instanceof z.ZodEnum) {
    const values = schema.options.map((value) => `\`${String(value)}\``);
    return values.length <= 4 ? values.join(' / ') : 'enum (below)';
  }
  if (schema instanceof z.ZodNumber) return numberType(schema);
  if (schema instanceof z.ZodString) return 'string';
  if (schema instanceof z.ZodRecord) return 'object';
  throw new Error(`reference: no description for a ${schema.constructor.name}`);
}

function numberType(schema: z.ZodNumber): string {
  const json = z.toJSONSchema(schema);
  const int = json.type === 'integer';
  // Integers carry the safe-integer bounds implicitly; only bounds the schema sets are shown.
  const max = typeof json.maximum === 'number' && json.maximum < Number.MAX_SAFE_INTEGER ? json.maximum : undefined;
  const exclusive = typeof json.exclusiveMinimum === 'number' ? json.exclusiveMinimum : undefined;
  const min =
    typeof json.minimum === 'number' ? json.minimum : exclusive !== undefined && int ? exclusive + 1 : undefined;
  const range =
    min !== undefined && max !== undefined
      ? ` ${String(min)}–${String(max)}`
      : min !== undefined
        ? ` ≥ ${String(min)}`
        : '';
  return `${int ? 'integer' : 'number'}${range}`;
}

function fieldTable<T extends z.ZodObject>(schema: T, meanings: Fields<z.infer<T>>): string {
  const rows = Object.entries(schema.shape).map(([name, field]) => {
    const meaning = (meanings as Record<string, string>)[name] ?? '';
    return `| \`${name}\` | ${typeOf(field as z.ZodType)} | ${meaning} |`;
  });
  return ['| field | type | meaning |', '|---|---|---|', ...rows].join('\n');
}

function enumTable<E extends string>(head: string, values: readonly E[], meanings: Meanings<E>): string {
  return [`| ${head} | meaning |`, '|---|---|', ...values.map((v) => `| \`${v}\` | ${meanings[v]} |`)].join('\n');
}

const code = (values: readonly string[]) => values.map((v) => `\`${v}\``).join(', ');

const TOPIC_ROWS: Readonly<Record<keyof typeof TOPICS, { key: string; carries: string }>> = {
  authEvents: {
    key: '`key_id`, else `key_fingerprint`, else `ip`',
    carries: 'one [auth event](#auth-event) per request a gateway decided',
  },
  authEventsDlq: {
    key: 'the original key',
    carries:
      'auth-event messages that did not validate, body and headers as consumed, the reason in the `keywatch-dlq-reason` header',
  },
  securityAlerts: { key: '`dedup_key`', carries: '[alerts](#alert): new, and again when the severity rises' },
  keyRevocationTriggers: {
    key: '`key_id`',
    carries: "[revocation triggers](#revocation-trigger): a detector's request to suspend or revoke",
  },
  keyLifecycle: {
    key: '`key_id`',
    carries: '[key lifecycle events](#key-lifecycle-event): gateways drop cached keys, the audit log follows',
  },
};

const AUTH_EVENT: Fields<AuthEvent> = {
  v: 'contract version',
  event_id: 'unique per request; the idempotency key end to end',
  ts: 'event time: when the gateway decided',
  gateway_id: 'the gateway instance',
  request_id: "correlates with the gateway's own logs",
  tenant_id: "the key's tenant; null when the key is unknown",
  key_id: 'null when no known key was presented',
  key_type: "from the presented key's prefix",
  environment: "from the presented key's prefix",
  key_fingerprint:
    'groups attempts with one credential without storing it ([key format](#key-format)); null when none was presented',
  outcome: "the gateway's decision ([outcomes](#outcomes))",
  scope:
    'the permission the route needs, e.g. `subscriptions:read` (the "feature used"); null when the route needs none',
  method: 'HTTP method',
  route: 'the route template, e.g. `/v1/customers/:id`, never the raw path; no query, fragment or spaces',
  status: 'the HTTP status returned to the client',
  latency_ms: 'gateway decision plus upstream time',
  ip: 'the client address',
  user_agent: 'the `User-Agent` header',
  origin: 'the browser `Origin` header, if any',
  rate_limit: "the key's limit state after this request; null when no limit applied or the limiter was unavailable",
};

const RATE_LIMIT: Fields<RateLimitState> = {
  limit: 'requests allowed per window',
  remaining: 'requests left in the window',
  window_s: 'the window in seconds',
};

const OUTCOMES: Meanings<Outcome> = {
  allowed: "every check passed; the status is the upstream's",
  missing_key: 'no credential in `Authorization: Bearer` or `X-Api-Key`',
  malformed_key: 'bad prefix, length, characters or checksum; refused without any lookup',
  unknown_key: 'well-formed but not a stored key',
  revoked_key: 'the key was revoked',
  expired_key: 'past `expires_at`, including a rotated key after its grace period',
  inactive_key: 'deactivated or suspended',
  environment_mismatch: 'a dev key on a live gateway or the reverse',
  insufficient_scope: "the key lacks the route's scope",
  ip_not_allowed: "the client address is outside the key's allowed IPs",
  origin_not_allowed: "the browser origin is outside the key's allowed origins",
  rate_limited: "the key's rate limit is spent (also a gateway's refusal while its limiter is unavailable)",
};

const ALERT: Fields<Alert> = {
  v: 'contract version',
  alert_id: 'unique; derived from `dedup_key` and its first suppression bucket, so replays give the same id',
  type: '[alert types](#alert-types)',
  severity: '[severities](#severities)',
  tenant_id: 'null only for alerts about unknown keys tied to no tenant; set whenever `key_id` is',
  key_id: 'the key concerned, if one is; must be set when `action` is not `none`',
  ip: 'the source, where one address is the subject',
  window_start: 'start of the event-time span of the evidence',
  window_end: 'end of that span; not before `window_start`',
  detected_at: 'wall-clock time the detector raised it',
  summary: 'one human sentence',
  evidence: 'the numbers behind it: counts, baseline, countries, distance_km, speed_kmh, …',
  dedup_key: 'same problem, same key: repeats update one alert instead of raising new ones',
  action: '[alert actions](#alert-actions)',
};

const ALERT_TYPES: Meanings<AlertType> = {
  failed_auth_spike: 'many failed authentications for one key or tenant',
  credential_stuffing: 'many distinct unknown or invalid keys from one source',
  geo_new_country: 'a secret key used successfully from a country new for it',
  impossible_travel: 'consecutive successful uses too far apart for the time between them',
  rate_limit_violation: 'a key refused for its rate limit over consecutive windows',
  usage_spike: "served requests far above the key's baseline",
  secret_key_client_side: 'a secret key sent with a browser `Origin`',
  revoked_key_in_use: 'a revoked or expired key still being presented',
  key_leaked: 'a live key was reported found in public (GitHub secret scanning, a scanner, a person); critical',
  key_expiring: '`expires_at` is 7 days, then 1 day, away; low',
  rotation_grace_ending: "an old key still used in the last hour of its rotation's grace period; medium",
  key_unused: "a secret key without a successful request for the tenant's threshold (default 90 days); low",
  unfamiliar_client: 'a secret key past its learning period used with a user-agent family it never used (medium)',
  threat_list_ip: 'a request from an address on a platform or tenant threat list (high on success, medium on failure)',
};

const SEVERITIES: Meanings<Severity> = {
  low: 'worth a look',
  medium: 'probably needs action',
  high: 'needs action soon',
  critical: 'act now (e.g. a key that authenticated from an attacking source)',
};

const ALERT_ACTIONS: Meanings<AlertAction> = {
  none: 'nothing asked of the key service',
  suspend_requested: 'a trigger asking to suspend the key was published',
  revoke_requested: 'a trigger asking to revoke the key was published',
};

const TRIGGER: Fields<RevocationTrigger> = {
  v: 'contract version',
  trigger_id: 'unique; the key service applies each trigger at most once',
  ts: 'when the detector asked',
  tenant_id: "the key's tenant (whose policy decides)",
  key_id: 'the key to act on',
  alert_id: 'the alert behind the request',
  reason: 'the alert type behind the request ([alert types](#alert-types))',
  requested_action: '[requested actions](#requested-actions)',
};

const REQUESTED_ACTIONS: Meanings<RequestedAction> = {
  suspend: 'reversible: a person can reactivate the key',
  revoke: 'final',
};

const LIFECYCLE: Fields<KeyLifecycleEvent> = {
  v: 'contract version',
  event_id: 'unique per change',
  ts: 'when the change was made',
  tenant_id: "the key's tenant",
  key_id: 'the key changed',
  type: '[lifecycle types](#lifecycle-types)',
  actor: 'who did it: a key id, `root`, or the automatic component that acted (e.g. `detector:<alert_id>`)',
  reason: 'why, when given; null otherwise',
};

const KEY_STATES: Meanings<KeyState> = {
  active: 'works',
  rotating: 'an old key inside its grace period after a rotation; works until the period ends',
  deactivated: 'switched off by a person; reversible',
  suspended: 'switched off by an automatic trigger; reversible',
  revoked: 'final',
  expired: 'past `expires_at` or past its rotation grace period; can only be revoked',
};

const LIFECYCLE_TYPES: Meanings<KeyLifecycleType> = {
  created: 'a new key',
  rotated: 'a successor was issued; the old key is `rotating`',
  updated: 'name, scopes, allowed IPs or origins, or rate limit changed',
  deactivated: 'by a person',
  suspended: 'by an automatic trigger',
  reactivated: 'back to `active` after a deactivation or suspension',
  revoked: 'final',
  expired: 'its expiry or grace period passed',
};

const KEY_FORMAT_ERRORS: Meanings<KeyFormatError> = {
  bad_prefix: 'does not start with `pk_` or `sk_`, then `dev_` or `live_`',
  bad_length: `the body is not ${String(KEY_RANDOM_LENGTH + KEY_CHECKSUM_LENGTH)} characters`,
  bad_charset: 'the body has a character outside base62',
  bad_checksum: 'the last six characters are not the checksum of the rest',
};

function prefixTable(): string {
  const rows = KeyType.options.map((type) => {
    const prefixes = KeyEnvironment.options.map((environment) => `\`${keyPrefix({ type, environment })}\``);
    return `| ${type} | ${prefixes.join(' / ')} |`;
  });
  return ['| key type | prefix (dev / live) |', '|---|---|', ...rows].join('\n');
}

function scopeTable(): string {
  const rows = Object.entries(SCOPE_GROUPS).map(([group, scopes]) => `| ${group} | ${code(scopes)} |`);
  return ['| group | scopes |', '|---|---|', ...rows].join('\n');
}

/** Every generated block of docs/contracts.md by name, in the order they appear. */
export function referenceBlocks(): Record<string, string> {
  return {
    topics: [
      '| topic (default name) | message key | carries |',
      '|---|---|---|',
      ...Object.entries(TOPICS).map(([role, name]) => {
        const row = TOPIC_ROWS[role as keyof typeof TOPICS];
        return `| \`${name}\` | ${row.key} | ${row.carries} |`;
      }),
    ].join('\n'),
    'key-prefixes': prefixTable(),
    'key-format-errors': enumTable('reason', KeyFormatError.options, KEY_FORMAT_ERRORS),
    'key-states': enumTable('state', KeyState.options, KEY_STATES),
    scopes: [
      scopeTable(),
      '',
      `Public scopes (the only ones a publishable key may hold): ${code(PUBLIC_SCOPES)}.`,
      `A secret key created without scopes gets the read and write groups: ${code(DEFAULT_SECRET_SCOPES)}.`,
    ].join('\n'),
    'auth-event': fieldTable(AuthEvent, AUTH_EVENT),
    'rate-limit': fieldTable(RateLimitState, RATE_LIMIT),
    outcomes: [
      '| outcome | status | meaning |',
      '|---|---|---|',
      ...Outcome.options.map((o) => `| \`${o}\` | ${String(OUTCOME_STATUS[o] ?? "upstream's")} | ${OUTCOMES[o]} |`),
    ].join('\n'),
    alert: fieldTable(Alert, ALERT),
    'alert-types': enumTable('type', AlertType.options, ALERT_TYPES),
    severities: enumTable('severity (increasing)', Severity.options, SEVERITIES),
    'alert-actions': enumTable('action', AlertAction.options, ALERT_ACTIONS),
    'revocation-trigger': fieldTable(RevocationTrigger, TRIGGER),
    'requested-actions': enumTable('requested_action', RequestedAction.options, REQUESTED_ACTIONS),
    'key-lifecycle': fieldTable(KeyLifecycleEvent, LIFECYCLE),
    'lifecycle-types': enumTable('type', KeyLifecycleType.options, LIFECYCLE_TYPES),
  };
}

const BLOCK = /(<!-- generated:([a-z-]+) -->\n)[\s\S]*?(\n<!-- \/generated:\2 -->)/g;

/**
 * `doc` with every `<!-- generated:NAME -->…<!-- /generated:NAME -->` block replaced by its
 * rendering. Throws on a block name it does not know and on a known block the document lacks.
 */
export function renderReference(doc: string): string {
  const blocks = referenceBlocks();
  const seen = new Set<string>();
  const out = doc.replace(BLOCK, (_match, open: string, name: string, close: string) => {
    const body = blocks[name];
    if (body === undefined) throw new Error(`docs/contracts.md: unknown generated block "${name}"`);
    seen.add(name);
    return `${open}${body}${close}`;
  });
  const missing = Object.keys(blocks).filter((name) => !seen.has(name));
  if (missing.length > 0) throw new Error(`docs/contracts.md lacks the generated blocks: ${missing.join(', ')}`);
  return out;
}

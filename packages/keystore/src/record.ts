import {
  formatIssues,
  isKeyId,
  KeyEnvironment,
  KeyState,
  KeyType,
  NonEmptyString,
  parseEventTime,
  Scope,
  toEventTime,
  validate,
} from '@keywatch/contracts';
import { z } from 'zod';
import { KeyStoreError } from './errors.js';
import type { KeyPatch, KeyRecord, NewKey, RateLimitPolicy, TriggerPolicy } from './types.js';

/*
 * How a record sits in its Redis hash: strings as they are, times as Unix milliseconds (so the
 * Lua scripts compare them as numbers), arrays and objects as JSON, `null` as an absent field.
 * Reads are strict: a field that does not parse raises `corrupt_record` naming it. Unknown fields
 * are ignored, so a reader one version behind still reads what a newer writer stored.
 */

/** A record as stored: {@link KeyRecord} plus the hash it is indexed by (never shown to callers). */
export interface StoredRecord {
  record: KeyRecord;
  hash: string;
}

/** The record fields that hold JSON. The Lua scripts splice these raw into audit details. */
export const JSON_FIELDS = ['scopes', 'allowed_ips', 'allowed_origins', 'rate_limit'] as const;

const KeyId = z.string().refine(isKeyId, 'must be a key id (key_ + 20 or more url-safe characters)');
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters (SHA-256)');
const Instant = z.string().refine((text) => parseEventTime(text) !== null, 'must be an RFC 3339 date-time');
const Scopes = z.array(Scope).refine((scopes) => new Set(scopes).size === scopes.length, 'must not repeat a scope');
const Strings = z.array(z.string().min(1, 'must not be empty'));

/** `{ limit, window_s }`: positive integers. */
export const RateLimitPolicySchema: z.ZodType<RateLimitPolicy> = z.strictObject({
  limit: z.number().int().positive(),
  window_s: z.number().int().positive(),
});

/** What {@link KeyRecords.create} accepts; times may carry any RFC 3339 offset (stored normalised to UTC). */
export const NewKeySchema: z.ZodType<NewKey> = z.strictObject({
  id: KeyId,
  hash: Sha256Hex,
  tenant_id: NonEmptyString,
  environment: KeyEnvironment,
  type: KeyType,
  name: z.string(),
  scopes: Scopes,
  prefix: NonEmptyString,
  last4: NonEmptyString,
  expires_at: Instant.nullable(),
  allowed_ips: Strings,
  allowed_origins: Strings,
  rate_limit: RateLimitPolicySchema.nullable(),
});

/** The new key of a rotation: the fields that differ from the old one. */
export const SuccessorSchema: z.ZodType<Pick<NewKey, 'id' | 'hash' | 'prefix' | 'last4'>> = z.strictObject({
  id: KeyId,
  hash: Sha256Hex,
  prefix: NonEmptyString,
  last4: NonEmptyString,
});

/** What {@link KeyRecords.update} accepts. */
export const KeyPatchSchema: z.ZodType<KeyPatch> = z.strictObject({
  name: z.string().optional(),
  scopes: Scopes.optional(),
  allowed_ips: Strings.optional(),
  allowed_origins: Strings.optional(),
  rate_limit: RateLimitPolicySchema.nullable().optional(),
});

/** A tenant's trigger policy. */
export const TriggerPolicySchema: z.ZodType<TriggerPolicy> = z.strictObject({
  mode: z.enum(['notify_only', 'suspend', 'revoke']),
  allow_live_revoke: z.boolean(),
  max_actions_per_hour: z.number().int().nonnegative(),
});

/** Validates a call's argument; a failure is `invalid_argument` naming every bad field. */
export function checkInput<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = validate(schema, input);
  if (result.ok) return result.value;
  const first = result.issues[0];
  throw new KeyStoreError('invalid_argument', `invalid ${what}: ${formatIssues(result.issues)}`, {
    field: first?.field ?? '',
    issues: result.issues,
  });
}

/** Unix milliseconds of an RFC 3339 time (already validated). */
export function toMillis(time: string): number {
  const parsed = parseEventTime(time);
  if (parsed === null) throw new KeyStoreError('invalid_argument', `not an RFC 3339 time: ${time}`, { field: 'time' });
  return parsed.getTime();
}

const Millis = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a time in Unix milliseconds')
  .transform((text) => toEventTime(Number(text)));

function json<T>(schema: z.ZodType<T>) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const StoredFields = z.object({
  id: KeyId,
  hash: Sha256Hex,
  tenant_id: NonEmptyString,
  environment: KeyEnvironment,
  type: KeyType,
  name: z.string(),
  scopes: json(z.array(Scope)),
  state: KeyState,
  state_reason: z.string().optional(),
  prefix: NonEmptyString,
  last4: NonEmptyString,
  created_at: Millis,
  created_by: NonEmptyString,
  updated_at: Millis,
  expires_at: Millis.optional(),
  rotated_from: KeyId.optional(),
  rotated_to: KeyId.optional(),
  allowed_ips: json(z.array(z.string())),
  allowed_origins: json(z.array(z.string())),
  rate_limit: json(RateLimitPolicySchema).optional(),
  last_used_at: Millis.optional(),
  version: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, 'must be a positive integer')
    .transform(Number),
});

/**
 * Parses a record hash as HGETALL returns it.
 * @param where - the Redis key or id it came from, for the error message
 * @throws KeyStoreError `corrupt_record` naming every bad field
 */
export function decodeRecord(raw: Record<string, string>, where: string): StoredRecord {
  const result = validate(StoredFields, raw);
  if (!result.ok) {
    throw new KeyStoreError('corrupt_record', `corrupt key record ${where}: ${formatIssues(result.issues)}`, {
      key: where,
      // The hash field, not the path inside its JSON.
      field: result.issues[0]?.field.split('.')[0] ?? '',
      issues: result.issues,
    });
  }
  const { hash, ...f } = result.value;
  return {
    hash,
    record: {
      id: f.id,
      tenant_id: f.tenant_id,
      environment: f.environment,
      type: f.type,
      name: f.name,
      scopes: f.scopes,
      state: f.state,
      state_reason: f.state_reason ?? null,
      prefix: f.prefix,
      last4: f.last4,
      created_at: f.created_at,
      created_by: f.created_by,
      updated_at: f.updated_at,
      expires_at: f.expires_at ?? null,
      rotated_from: f.rotated_from ?? null,
      rotated_to: f.rotated_to ?? null,
      allowed_ips: f.allowed_ips,
      allowed_origins: f.allowed_origins,
      rate_limit: f.rate_limit ?? null,
      last_used_at: f.last_used_at ?? null,
      version: f.version,
    },
  };
}

/** The hash fields of a record; `null` fields are left out. Inverse of {@link decodeRecord}. */
export function encodeRecord({ record, hash }: StoredRecord): Record<string, string> {
  const fields: Record<string, string | null> = {
    id: record.id,
    hash,
    tenant_id: record.tenant_id,
    environment: record.environment,
    type: record.type,
    name: record.name,
    scopes: JSON.stringify(record.scopes),
    state: record.state,
    state_reason: record.state_reason,
    prefix: record.prefix,
    last4: record.last4,
    created_at: millisField(record.created_at),
    created_by: record.created_by,
    updated_at: millisField(record.updated_at),
    expires_at: millisField(record.expires_at),
    rotated_from: record.rotated_from,
    rotated_to: record.rotated_to,
    allowed_ips: JSON.stringify(record.allowed_ips),
    allowed_origins: JSON.stringify(record.allowed_origins),
    rate_limit: record.rate_limit === null ? null : JSON.stringify(record.rate_limit),
    last_used_at: millisField(record.last_used_at),
    version: String(record.version),
  };
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== null));
}

/** One patched field as stored (`null`: delete the field). */
export function encodePatchField(field: keyof KeyPatch, value: KeyPatch[keyof KeyPatch]): string | null {
  if (value === null || value === undefined) return null;
  return field === 'name' && typeof value === 'string' ? value : JSON.stringify(value);
}

function millisField(time: string | null): string | null {
  return time === null ? null : String(toMillis(time));
}

/** HGETALL-style flat reply (`[field, value, …]`) to an object. */
export function pairsToObject(flat: unknown): Record<string, string> {
  if (!Array.isArray(flat)) throw new KeyStoreError('corrupt_record', 'expected a field/value list from Redis');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

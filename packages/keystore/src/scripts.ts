import { anyReply, defineScript, integerReply, luaFragment } from '@keywatch/redis';

/*
 * The keystore's Lua scripts, in ./lua. Rules every mutating script follows:
 * - all checks first, writes after: Redis does not roll back a script that fails half-way, so a
 *   script must never be able to fail once it started writing;
 * - time comes in as ARGV (`now` in ms and as RFC 3339), never from Redis, so callers (and tests)
 *   own the clock;
 * - a refusal is returned, not raised: `{ code, json details }`; success is `{ 'ok', … }`;
 * - KEYS holds the keys the caller can name (so ioredis prefixes them and Cluster routes the call);
 *   keys that depend on the record (its tenant's audit stream, …) are built from ARGV[1], the
 *   client prefix plus `{ks}:`: same hash tag, same slot.
 * Names are prefixed so they cannot clash on a shared client.
 */

const lua = (name: string) => new URL(`./lua/${name}.lua`, import.meta.url);

/** The helpers the mutating scripts share (`audit`, `announce`, `iso`, …); exported so a test can check `iso()`. */
export const PRELUDE = luaFragment(lua('prelude'));

type Base = string;
type Ms = number;
type Iso = string;

/** `{ 'ok', HGETALL }` or a refusal. */
export const CREATE = defineScript<
  [record: string],
  [
    base: Base,
    id: string,
    hash: string,
    tenant: string,
    now: Ms,
    nowIso: Iso,
    eventId: string,
    actor: string,
    expiresMs: Ms | '',
    details: string,
    ...fields: string[],
  ]
>({ name: 'keystoreCreate', file: lua('create'), includes: [PRELUDE], reply: anyReply });

/** `{ 'ok', HGETALL }` or a refusal. */
export const TRANSITION = defineScript<
  [record: string],
  [
    base: Base,
    id: string,
    now: Ms,
    nowIso: Iso,
    eventId: string,
    actor: string,
    reasonJson: string,
    transition: string,
    to: string,
    eventType: string,
    fromCsv: string,
    details: string,
  ]
>({ name: 'keystoreTransition', file: lua('transition'), includes: [PRELUDE], reply: anyReply });

/** `{ 'ok', HGETALL old, HGETALL new }` or a refusal. */
export const ROTATE = defineScript<
  [oldRecord: string, newRecord: string],
  [
    base: Base,
    oldId: string,
    newId: string,
    newHash: string,
    newPrefix: string,
    newLast4: string,
    now: Ms,
    nowIso: Iso,
    graceEndMs: Ms,
    graceS: number,
    eventOld: string,
    eventNew: string,
    actor: string,
  ]
>({ name: 'keystoreRotate', file: lua('rotate'), includes: [PRELUDE], reply: anyReply });

/** `{ 'ok', HGETALL }` or a refusal. After `setCount`: (field, value) × setCount, then the deleted fields. */
export const UPDATE = defineScript<
  [record: string],
  [
    base: Base,
    id: string,
    now: Ms,
    nowIso: Iso,
    eventId: string,
    actor: string,
    afterJson: string,
    setCount: number,
    ...fields: string[],
  ]
>({
  name: 'keystoreUpdate',
  file: lua('update'),
  includes: [PRELUDE],
  reply: anyReply,
});

/** `null`, or `[id, HGETALL of the record]`. */
export const BY_HASH = defineScript<[hashIndex: string], [base: Base]>({
  name: 'keystoreByHash',
  file: lua('by-hash'),
  reply: anyReply,
});

/** The new entry's stream id. */
export const RECORD_AUDIT = defineScript<
  [auditStream: string],
  [
    base: Base,
    tenant: string,
    now: Ms,
    nowIso: Iso,
    keyId: string,
    actor: string,
    action: string,
    reasonJson: string,
    details: string,
  ]
>({ name: 'keystoreRecordAudit', file: lua('record-audit'), includes: [PRELUDE], reply: anyReply });

/** `'ok'`. */
export const SET_POLICY = defineScript<
  [policy: string],
  [
    base: Base,
    tenant: string,
    now: Ms,
    nowIso: Iso,
    actor: string,
    mode: string,
    allowLiveRevoke: 'true' | 'false',
    maxActionsPerHour: number,
  ]
>({
  name: 'keystoreSetPolicy',
  file: lua('set-policy'),
  includes: [PRELUDE],
  reply: anyReply,
});

/** 1 when `last_used_at` moved forward, else 0. */
export const TOUCH = defineScript<[record: string], [atMs: Ms], number>({
  name: 'keystoreTouch',
  file: lua('touch'),
  reply: integerReply,
});

/** 1 taken, 0 cap reached (not counted). */
export const TAKE_ACTION = defineScript<[hourCounter: string], [cap: number, ttlS: number], number>({
  name: 'keystoreTakeAction',
  file: lua('take-action'),
  reply: integerReply,
});

/** `'ok'`; creates the outbox's consumer group if it is missing. */
export const ENSURE_GROUP = defineScript<[outbox: string], [group: string]>({
  name: 'keystoreEnsureGroup',
  file: lua('ensure-group'),
  reply: anyReply,
});

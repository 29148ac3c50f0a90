import { anyReply, defineScript, integerReply, luaFragment } from '@keywatch/redis';

// The keystore's Lua scripts, in ./lua. Every mutating script checks before it writes (Redis does not
// roll back a half-run script); the other rules are in the package README.

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

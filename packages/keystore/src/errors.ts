/**
 * Why the store refused a call:
 * - `not_found`: no key with that id;
 * - `invalid_transition`: the key's state does not allow it (`from`, `to`, `transition` in details);
 * - `already_rotated`: the key already has a successor (`rotated_to` in details);
 * - `conflict`: a key with that id or hash exists (`field` in details);
 * - `invalid_argument`: the call itself is malformed (`field` in details);
 * - `corrupt_record`: what Redis holds does not parse (`field`, `key` in details).
 */
export type KeyStoreErrorCode =
  'not_found' | 'invalid_transition' | 'already_rotated' | 'conflict' | 'invalid_argument' | 'corrupt_record';

/**
 * A refusal or a corrupt read. Never retryable: the same call fails the same way until something
 * else changes. Transport failures surface as ioredis errors, not as this class.
 */
export class KeyStoreError extends Error {
  override readonly name = 'KeyStoreError';
  readonly retryable = false;

  constructor(
    readonly code: KeyStoreErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const CODES: ReadonlySet<string> = new Set<KeyStoreErrorCode>([
  'not_found',
  'invalid_transition',
  'already_rotated',
  'conflict',
  'invalid_argument',
  'corrupt_record',
]);

/** Turns a Lua script's refusal (`{ code, details }`) into a {@link KeyStoreError} with a readable message. */
export function scriptRefusal(code: string, details: Record<string, unknown>): KeyStoreError {
  if (!CODES.has(code))
    return new KeyStoreError('corrupt_record', `unexpected keystore script reply "${code}"`, details);
  const known = code as KeyStoreErrorCode;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- script replies carry strings; String() only guards a corrupt one
  const id = String(details.key_id ?? '');
  switch (known) {
    case 'not_found':
      return new KeyStoreError(known, `key ${id} not found`, details);
    case 'already_rotated':
      return new KeyStoreError(known, `key ${id} was already rotated to ${String(details.rotated_to)}`, details);
    case 'conflict':
      return new KeyStoreError(known, `a key with this ${String(details.field)} already exists`, details);
    case 'invalid_transition': {
      const why = typeof details.why === 'string' ? ` (${details.why})` : '';
      return new KeyStoreError(
        known,
        `cannot ${String(details.transition)} key ${id}: it is ${String(details.from)}${why}`,
        details,
      );
    }
    default:
      /* eslint-disable @typescript-eslint/no-base-to-string -- script replies carry strings; String() only guards a corrupt one */
      return new KeyStoreError(
        known,
        `${String(details.field ?? 'argument')}: ${String(details.message ?? 'invalid')}`,
        details,
      );
    /* eslint-enable @typescript-eslint/no-base-to-string */
  }
}

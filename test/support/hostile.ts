/**
 * Hostile inputs shared by the fuzz tests, as fast-check arbitraries. Every property runs with the
 * fixed {@link FUZZ_SEED}; fast-check prints the seed and the counterexample path when one fails,
 * so `fc.assert(..., { seed, path })` replays it.
 * @module
 */
import { generateKey } from '@keywatch/contracts';
import fc from 'fast-check';

/** The seed of every property in `test/fuzz` (change it to explore, keep it fixed in CI). */
export const FUZZ_SEED = 20_261_128;

/** Settings for `fc.assert`: the fixed seed, `numRuns` runs, no shrinking time bomb on a loaded machine. */
export function fuzzSettings(numRuns: number): fc.Parameters<unknown> {
  /* eslint-disable @typescript-eslint/no-deprecated -- moving to the interruptAfterTimeLimit plugin is a change of its own */
  return {
    seed: FUZZ_SEED,
    numRuns,
    endOnFailure: false,
    interruptAfterTimeLimit: 90_000,
    markInterruptAsFailure: false,
  };
  /* eslint-enable @typescript-eslint/no-deprecated */
}

/** SQL fragments aimed at a string spliced into ClickHouse SQL, and other classic breakers. */
export const SQL_FRAGMENTS: readonly string[] = [
  "' OR 1=1 --",
  "' OR '1'='1",
  "x' UNION ALL SELECT name, name, name FROM system.tables --",
  "'; DROP TABLE auth_events; --",
  '\\',
  "\\'",
  "\\' OR 1=1 --",
  '\0',
  "a\0' OR 1=1 --",
  '%00',
  '%27%20OR%201%3D1',
  '"',
  '`',
  ') OR (1=1',
  '1 FORMAT JSON',
  '{tenant_id:String}',
  "tenant_a' AND sleep(3) --",
  "tenant_a'/**/OR/**/1=1#",
  '\u2019 OR 1=1 --',
  '\uFF07 OR 1=1 --',
  '\uD800',
  '😀'.repeat(50),
  'é'.repeat(300),
  ' ',
  '',
  '-1',
  '1e309',
  'NaN',
  '0x7fffffffffffffff',
  '2026-02-30T25:61:00Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '__proto__',
  'constructor',
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  '${7*7}',
];

/** A hostile string: a known fragment, arbitrary unicode (lone surrogates included), or both joined. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SQL_FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...SQL_FRAGMENTS)).map(([a, b]) => a + b),
  },
);

/** A value of the wrong JSON type for almost any field. */
export const wrongJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e308,
    [],
    {},
    [null],
    { $ne: null },
    { __proto__: { admin: true } },
  ),
  hostileString,
  fc.jsonValue({ maxDepth: 3 }),
);

/**
 * Credentials that must never authenticate: malformed shapes, well-formed keys with a broken
 * checksum (one character of a fresh key changed), keys that exist nowhere, and garbage.
 */
export const badCredential: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    'Bearer',
    'Bearer ',
    'Basic dXNlcjpwYXNz',
    'bearer sk_live_',
    'sk_live_',
    'pk_test_x',
    'Bearer null',
    'Bearer undefined',
    'Bearer \u0000',
    'Bearer ' + 'a'.repeat(10_000),
  ),
  fc
    .tuple(
      fc.constantFrom<'secret' | 'publishable'>('secret', 'publishable'),
      fc.constantFrom<'live' | 'dev'>('live', 'dev'),
      fc.nat(),
      fc.constantFrom(...Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-')),
    )
    .map(([type, environment, at, char]) => {
      const key = generateKey({ type, environment });
      const i = at % key.length;
      const changed = key[i] === char ? (char === 'A' ? 'B' : 'A') : char;
      return `Bearer ${key.slice(0, i)}${changed}${key.slice(i + 1)}`;
    }),
  fc
    .constantFrom<'secret' | 'publishable'>('secret', 'publishable')
    .map((type) => `Bearer ${generateKey({ type, environment: 'live' })}`),
  hostileString.map((s) => `Bearer ${s}`),
  hostileString,
);

/** X-Forwarded-For values a client may send: garbage, long lists, IPv6 forms, private ranges. */
export const forwardedFor: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ',',
    ', , ,',
    'unknown',
    '999.999.999.999',
    '1.2.3',
    '::',
    '::ffff:127.0.0.1',
    '[::1]:80',
    'fe80::1%eth0',
    '127.0.0.1, 10.0.0.1',
    '8.8.8.8 , 81.2.69.142',
    Array.from({ length: 500 }, (_, i) => `10.0.${i % 256}.1`).join(', '),
  ),
  fc.array(fc.ipV4(), { maxLength: 20 }).map((ips) => ips.join(', ')),
  fc.array(fc.ipV6(), { maxLength: 5 }).map((ips) => ips.join(',')),
  hostileString,
);

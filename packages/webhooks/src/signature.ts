import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every webhook request carries (docs/contracts.md#webhook-signature). */
export const SIGNATURE_HEADER = 'Keywatch-Signature';

/** The signature's hex digest: HMAC-SHA256(secret, "<t>.<raw body>"). */
function digest(secret: string, timestamp: number, rawBody: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

const unixSeconds = (now: Date | number) => Math.floor((typeof now === 'number' ? now : now.getTime()) / 1000);

/**
 * The `Keywatch-Signature` value for `rawBody`: `t=<unix seconds>,v1=<hex>` with one `v1=` per
 * secret (during a rotation both the new and the old secret sign, so a receiver holding either
 * verifies).
 * @param secrets - the destination's valid secrets, newest first (at least one).
 * @param now - the signing time (Date or Unix ms; default now).
 */
export function signPayload(
  secrets: readonly string[],
  rawBody: string | Uint8Array,
  now: Date | number = Date.now(),
): string {
  if (secrets.length === 0) throw new RangeError('signPayload needs at least one secret');
  const t = unixSeconds(now);
  return [`t=${t}`, ...secrets.map((secret) => `v1=${digest(secret, t, rawBody).toString('hex')}`)].join(',');
}

/** Why a signature was refused. */
export type VerifyFailure = 'malformed_header' | 'stale_timestamp' | 'no_matching_signature';

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: VerifyFailure; message: string };

export interface VerifyOptions {
  /** The `Keywatch-Signature` header as received (undefined or an array when absent or repeated). */
  header: string | readonly string[] | null | undefined;
  /** The request body exactly as received, before any JSON parsing. */
  rawBody: string | Uint8Array;
  /** The receiver's secret(s) for this destination; several while it rotates its own copy. */
  secrets: string | readonly string[];
  /** Accepted distance between `t` and `now`, in seconds, either way (default 300). */
  toleranceS?: number;
  /** The receiver's clock (Date or Unix ms; default now). */
  now?: Date | number;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Verifies a Keywatch webhook request: the header parses, `t` is within `toleranceS` of `now`
 * (replayed old requests are refused), and some `v1=` equals HMAC-SHA256(secret, "<t>.<raw body>")
 * for some secret. Comparisons are constant-time. Unknown schemes (e.g. a future `v2=`) are ignored.
 */
export function verifyWebhookSignature(options: VerifyOptions): VerifyResult {
  const { header, rawBody } = options;
  const toleranceS = options.toleranceS ?? 300;
  const malformed = (message: string): VerifyResult => ({ ok: false, reason: 'malformed_header', message });
  if (typeof header !== 'string' || header.trim() === '')
    return malformed(`missing ${SIGNATURE_HEADER} header (or sent more than once)`);
  let timestamp: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return malformed(`bad element "${part.trim().slice(0, 20)}"`);
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return malformed('t must appear once, as Unix seconds');
      timestamp = Number(value);
    } else if (name === 'v1') {
      if (!HEX_SHA256.test(value)) return malformed('v1 must be 64 lowercase hex characters');
      candidates.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined) return malformed('no t= element');
  if (candidates.length === 0) return malformed('no v1= element');
  const now = unixSeconds(options.now ?? Date.now());
  if (Math.abs(now - timestamp) > toleranceS) {
    return {
      ok: false,
      reason: 'stale_timestamp',
      message: `timestamp ${timestamp} is more than ${toleranceS} s from now (${now})`,
    };
  }
  const secrets = typeof options.secrets === 'string' ? [options.secrets] : options.secrets;
  let matched = false;
  // Every pair is compared (no early exit), so timing does not reveal which secret or position matched.
  for (const secret of secrets) {
    const expected = digest(secret, timestamp, rawBody);
    for (const candidate of candidates) matched = timingSafeEqual(expected, candidate) || matched;
  }
  return matched
    ? { ok: true, timestamp }
    : { ok: false, reason: 'no_matching_signature', message: 'no v1 signature matches a known secret' };
}

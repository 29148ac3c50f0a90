import { randomBytes } from 'node:crypto';
import { z } from 'zod';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
// Crockford base32; a first digit above 7 would overflow the 48-bit timestamp.
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;

/**
 * A new UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then 74 random bits, so ids sort by creation time.
 * @param now - the timestamp to embed, in Unix milliseconds; defaults to `Date.now()`
 */
export function newEventId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes.writeUInt8(0x70 | (bytes.readUInt8(6) & 0x0f), 6);
  bytes.writeUInt8(0x80 | (bytes.readUInt8(8) & 0x3f), 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True for a UUIDv7 or a ULID, the two forms an `event_id` may take. */
export function isEventId(text: string): boolean {
  return UUID_V7.test(text) || ULID.test(text);
}

/** An `event_id`: UUIDv7 or ULID. */
export const EventId = z.string().refine(isEventId, 'must be a UUIDv7 or a ULID');

import { z } from 'zod';

// RFC 3339 section 5.6. Leap seconds (:60) are refused because a JS Date cannot hold them.
const RFC3339 =
  /^(\d{4}-\d{2}-\d{2})[Tt]((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:\.(\d+))?([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Formats an instant as an event time: RFC 3339 in UTC with milliseconds (`2025-01-31T12:00:00.000Z`). */
export function toEventTime(instant: Date | number): string {
  return new Date(instant).toISOString();
}

/**
 * Parses any RFC 3339 date-time (any offset, any fraction; digits beyond milliseconds are dropped).
 * Returns `null` for anything else, including dates that do not exist such as `2025-02-30`.
 */
export function parseEventTime(text: string): Date | null {
  const match = RFC3339.exec(text);
  if (!match) return null;
  const [, date = '', time = '', fraction = '', zone = ''] = match;
  // Date.parse rolls 02-30 over to 03-02, so the calendar date must survive a round trip.
  const midnight = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(midnight) || new Date(midnight).toISOString().slice(0, 10) !== date) return null;
  const millis = `${fraction}000`.slice(0, 3);
  const instant = Date.parse(`${date}T${time}.${millis}${zone.toUpperCase()}`);
  return Number.isNaN(instant) ? null : new Date(instant);
}

/** True for the exact form {@link toEventTime} writes, on a date that exists. */
export function isEventTime(text: string): boolean {
  return EVENT_TIME.test(text) && parseEventTime(text) !== null;
}

/** Event time as carried in `ts`: RFC 3339 UTC with milliseconds, `YYYY-MM-DDTHH:mm:ss.sssZ`. */
export const EventTime = z
  .string()
  .refine(isEventTime, 'must be an RFC 3339 UTC time with milliseconds, e.g. 2025-01-31T12:00:00.000Z');

/** Any RFC 3339 date-time (offsets and fractions allowed), for fields the contract leaves looser. */
export const Rfc3339 = z
  .string()
  .refine((text) => parseEventTime(text) !== null, 'must be an RFC 3339 date-time, e.g. 2025-01-31T12:00:00Z');

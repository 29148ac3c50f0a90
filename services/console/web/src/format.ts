// Numbers carry their unit and times say their zone: every time in the console is UTC.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export const count = (n: number) => integer.format(n);
export const requests = (n: number) => `${integer.format(n)} req`;
export const percent = (ratio: number) => `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 3 : 1)} %`;
export const ms = (n: number | null) => (n === null ? '—' : `${n.toFixed(n < 10 ? 1 : 0)} ms`);
export const km = (n: number) => `${integer.format(n)} km`;
export const kmh = (n: number | null) => (n === null ? '∞ km/h' : `${integer.format(n)} km/h`);

/** `2026-11-28 05:20:13 UTC` */
export function utc(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A chart tick: the time of day for short ranges, the date for long ones (both UTC). */
export function tick(iso: string, rangeMs: number): string {
  const text = new Date(iso).toISOString();
  return rangeMs <= 2 * 86_400_000 ? text.slice(11, 16) : text.slice(5, 10);
}

/** `3 min ago`, for lists that are read as "how fresh is this". The absolute time is in the title. */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export const label = (snake: string) => snake.replaceAll('_', ' ');

/** How long a suppression rule lasts (seconds, words); every rule expires. */
export const DURATIONS: ReadonlyArray<readonly [number, string]> = [
  [3_600, '1 hour'],
  [86_400, '24 hours'],
  [7 * 86_400, '7 days'],
  [30 * 86_400, '30 days'],
  [90 * 86_400, '90 days'],
];

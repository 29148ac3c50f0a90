export type RangeName = '1h' | '24h' | '7d' | '30d';

export const RANGES: Record<RangeName, { ms: number; interval: 'minute' | 'hour' | 'day'; label: string }> = {
  '1h': { ms: 3_600_000, interval: 'minute', label: '1 h' },
  '24h': { ms: 86_400_000, interval: 'hour', label: '24 h' },
  '7d': { ms: 7 * 86_400_000, interval: 'hour', label: '7 d' },
  '30d': { ms: 30 * 86_400_000, interval: 'day', label: '30 d' },
};

/** `from`/`to` for the last `range`, `to` rounded up to the minute so repeated renders ask the same thing. */
export function rangeBounds(range: RangeName, now = Date.now()): { from: string; to: string } {
  const to = Math.ceil(now / 60_000) * 60_000;
  return { from: new Date(to - RANGES[range].ms).toISOString(), to: new Date(to).toISOString() };
}

export function RangePicker({ value, onChange }: { value: RangeName; onChange: (range: RangeName) => void }) {
  return (
    <div className="range-picker" role="group" aria-label="Time range">
      {(Object.keys(RANGES) as RangeName[]).map((name) => (
        <button
          key={name}
          type="button"
          aria-pressed={value === name}
          className={value === name ? 'selected' : ''}
          onClick={() => onChange(name)}
        >
          {RANGES[name].label}
        </button>
      ))}
    </div>
  );
}

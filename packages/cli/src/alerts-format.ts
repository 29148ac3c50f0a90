import type { Alert, Severity } from '@keywatch/contracts';

/** Severities in increasing order. */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

const ANSI = {
  reset: '\u001b[0m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  whiteOnRed: '\u001b[97;41m',
} as const;

const SEVERITY_STYLE: Readonly<Record<Severity, string>> = {
  low: ANSI.cyan,
  medium: ANSI.yellow,
  high: ANSI.bold + ANSI.red,
  critical: ANSI.bold + ANSI.whiteOnRed,
};

/**
 * Whether to colour: only on a terminal, and never when `NO_COLOR` is set to anything non-empty
 * (https://no-color.org); `FORCE_COLOR` (non-empty, not `0`) colours anyway.
 */
export function useColor(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/**
 * A severity filter from `--severity`: `>=high`, `>medium`, `<=low`, `high` (exactly) or a list
 * `high,critical`. Throws naming the bad part.
 */
export function parseSeverityFilter(text: string): (severity: string) => boolean {
  const spec = text.trim();
  const rank = (name: string) => {
    const i = SEVERITIES.indexOf(name as Severity);
    if (i < 0)
      throw new Error(
        `--severity: "${name}" is not a severity (${SEVERITIES.join(', ')}); use e.g. >=high or high,critical`,
      );
    return i;
  };
  const match = /^(>=|<=|>|<)\s*(\w+)$/.exec(spec);
  if (match) {
    const [, op, name] = match;
    const bound = rank(name!);
    const test = {
      '>=': (r: number) => r >= bound,
      '<=': (r: number) => r <= bound,
      '>': (r: number) => r > bound,
      '<': (r: number) => r < bound,
    }[op as '>=' | '<=' | '>' | '<'];
    return (severity) => SEVERITIES.includes(severity as Severity) && test(SEVERITIES.indexOf(severity as Severity));
  }
  const wanted = new Set(
    spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => SEVERITIES[rank(s)]!),
  );
  if (wanted.size === 0) throw new Error('--severity: empty; use e.g. >=high or high,critical');
  return (severity) => wanted.has(severity as Severity);
}

export interface FormatOptions {
  color: boolean;
  /** Print the evidence object, indented, under the line. */
  evidence?: boolean;
  /** This alert id was shown before: mark the line as an update. */
  update?: boolean;
}

const time = (rfc3339: string) => {
  const at = new Date(rfc3339);
  return Number.isNaN(at.getTime()) ? rfc3339 : at.toISOString().slice(11, 19);
};

/**
 * One line per alert: time detected (UTC), severity, type, tenant, key, ip, summary; repeats of an
 * alert already shown are marked `updated`. Evidence, when asked for, follows as indented JSON.
 */
export function formatAlert(alert: Alert, options: FormatOptions): string {
  const paint = (style: string, text: string) => (options.color ? `${style}${text}${ANSI.reset}` : text);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- alerts come off the wire; an unknown severity prints plain
  const severity = paint(SEVERITY_STYLE[alert.severity] ?? '', alert.severity.toUpperCase().padEnd(8));
  const marker = options.update ? paint(ANSI.dim, 'updated ') : '';
  const fields = [`tenant=${alert.tenant_id ?? '-'}`, `key=${alert.key_id ?? '-'}`, `ip=${alert.ip ?? '-'}`].join(' ');
  let line = `${paint(ANSI.dim, time(alert.detected_at))} ${severity} ${marker}${paint(ANSI.bold, alert.type.padEnd(22))} ${fields}  ${alert.summary}`;
  if (alert.action !== 'none') line += `  ${paint(ANSI.bold, `[${alert.action}]`)}`;
  if (options.evidence) {
    const body = JSON.stringify(alert.evidence, null, 2)
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
    line += `\n${options.color ? paint(ANSI.dim, body) : body}`;
  }
  return line;
}

/** A ClickHouse server version as `SELECT version()` reports it, e.g. `18.16.1` or `24.8.4.13`. */
export interface ServerVersion {
  major: number;
  minor: number;
  /** The full text, e.g. `18.16.1`. */
  text: string;
}

/**
 * The first server version with each feature we switch on when it is there. Debian's server is
 * 18.16; users run current releases.
 */
export const FEATURES = {
  /** Server-side query parameters `{name:Type}` with `param_name` in the request. */
  queryParameters: '19.11',
  /** Table and column `TTL`. */
  ttl: '19.6',
  /** `LowCardinality` without an experimental setting. */
  lowCardinality: '19.3',
  /** `DateTime64`. */
  dateTime64: '20.1',
} as const;

const VERSION = /^(\d+)\.(\d+)(?:\.\d+)*(?:[-.][\w.-]*)?$/;

/** Parses `SELECT version()` output; throws on anything else. */
export function parseServerVersion(text: string): ServerVersion {
  const trimmed = text.trim();
  const match = VERSION.exec(trimmed);
  if (!match) throw new Error(`unrecognised ClickHouse version "${text}"`);
  return { major: Number(match[1]), minor: Number(match[2]), text: trimmed };
}

/** Whether `version` is at least `required` (`'major.minor'`, e.g. {@link FEATURES}`.ttl`). */
export function versionAtLeast(version: Pick<ServerVersion, 'major' | 'minor'>, required: string): boolean {
  const wanted = parseServerVersion(required);
  return version.major !== wanted.major ? version.major > wanted.major : version.minor >= wanted.minor;
}

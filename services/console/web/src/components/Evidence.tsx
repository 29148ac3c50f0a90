import type { Alert } from '../api';
import { count, km, kmh, label, utc } from '../format';
import { CountBars } from './Charts';
import { countryName, WorldMap, type MapPoint } from './WorldMap';

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
/* eslint-disable @typescript-eslint/no-base-to-string -- objects are JSON.stringify-ed; only scalars reach String() */
const text = (value: unknown): string =>
  value === null || value === undefined || value === ''
    ? '—'
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
/* eslint-enable @typescript-eslint/no-base-to-string */

interface Place {
  ip?: string;
  country?: string;
  lat?: number;
  lon?: number;
  radius_km?: number;
  at?: string;
}

function Facts({ rows }: { rows: Array<[string, string]> }) {
  return (
    <dl className="facts">
      {rows.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Counts against the baseline, as bars a person compares at a glance. */
function AgainstBaseline({
  observed,
  observedLabel,
  evidence,
}: {
  observed: number;
  observedLabel: string;
  evidence: Record<string, unknown>;
}) {
  const bars = [{ name: observedLabel, value: observed }];
  const mean = num(evidence.baseline_mean);
  if (mean !== null) bars.push({ name: 'usual hour (mean)', value: mean });
  const peak = num(evidence.peak_hour);
  if (peak !== null) bars.push({ name: 'busiest usual hour', value: peak });
  const z = num(evidence.z);
  const ratio = num(evidence.ratio);
  return (
    <>
      <CountBars data={bars} title="Observed against the key's baseline (requests per hour unless named)" />
      <Facts
        rows={[
          ['z-score', z === null ? 'no baseline yet' : z.toFixed(1)],
          ...(ratio !== null ? ([['× usual', `${ratio.toFixed(1)} ×`]] as Array<[string, string]>) : []),
          ['baseline history', `${text(evidence.baseline_hours)} h`],
        ]}
      />
    </>
  );
}

/** The numbers behind an alert, drawn for people rather than as JSON. */
export function Evidence({ alert }: { alert: Alert }) {
  const e = alert.evidence;
  switch (alert.type) {
    case 'impossible_travel': {
      const from = e.from as Place | undefined;
      const to = e.to as Place | undefined;
      const points: MapPoint[] = [from, to].flatMap((p, i) =>
        p && typeof p.lat === 'number' && typeof p.lon === 'number'
          ? [{ lat: p.lat, lon: p.lon, label: `${i === 0 ? 'from' : 'to'} ${countryName(p.country ?? null)}` }]
          : [],
      );
      const hours = from?.at && to?.at ? Math.abs(Date.parse(to.at) - Date.parse(from.at)) / 3_600_000 : null;
      return (
        <div className="evidence">
          <WorldMap
            points={points}
            title={`From ${countryName(from?.country ?? null)} to ${countryName(to?.country ?? null)}: ${km(num(e.distance_km) ?? 0)} at ${kmh(num(e.speed_kmh))}`}
          />
          <Facts
            rows={[
              [
                'from',
                `${countryName(from?.country ?? null)} · ${text(from?.ip)} · ${utc(from?.at)} (±${text(from?.radius_km)} km)`,
              ],
              [
                'to',
                `${countryName(to?.country ?? null)} · ${text(to?.ip)} · ${utc(to?.at)} (±${text(to?.radius_km)} km)`,
              ],
              ['distance', km(num(e.distance_km) ?? 0)],
              ['time between', hours === null ? '—' : `${(hours * 60).toFixed(0)} min`],
              ['speed needed', kmh(num(e.speed_kmh))],
              ...(e.downgraded
                ? ([['severity lowered because', label(text(e.downgraded))]] as Array<[string, string]>)
                : []),
            ]}
          />
        </div>
      );
    }
    case 'usage_spike':
      return (
        <div className="evidence">
          <AgainstBaseline observed={num(e.last_hour) ?? 0} observedLabel="last hour" evidence={e} />
        </div>
      );
    case 'failed_auth_spike':
      return (
        <div className="evidence">
          <AgainstBaseline
            observed={num(e.last_hour) ?? num(e.failures) ?? 0}
            observedLabel="failures, last hour"
            evidence={e}
          />
          <Facts
            rows={[
              [
                'failures in window',
                `${count(num(e.failures) ?? 0)} in ${((num(e.window_ms) ?? 0) / 60_000).toFixed(0)} min`,
              ],
              e.distinct_ips !== undefined
                ? ['source IPs', text(e.distinct_ips)]
                : ['distinct credentials', text(e.distinct_credentials)],
              ['last outcome', label(text(e.last_outcome))],
            ]}
          />
        </div>
      );
    case 'credential_stuffing':
      if (e.distinct_credentials === undefined) {
        return (
          <div className="evidence">
            <Facts
              rows={[
                ['attack began', utc(text(e.attack_started))],
                ['key succeeded from the attacking IP', utc(text(e.success_at))],
                ['source IP', text(alert.ip)],
              ]}
            />
          </div>
        );
      }
      return (
        <div className="evidence">
          <p className="big-number">
            <strong>{count(num(e.distinct_credentials) ?? 0)}</strong> distinct keys tried from {text(alert.ip)}
          </p>
          <Facts
            rows={[
              ['attempts', count(num(e.attempts) ?? 0)],
              ['most attempts with one key', text(e.max_attempts_per_credential)],
              ['keys that worked from this IP', text(e.successful_keys)],
              ['rule', text(e.rule)],
            ]}
          />
        </div>
      );
    case 'geo_new_country': {
      const known = Array.isArray(e.known_countries) ? (e.known_countries as string[]) : [];
      const values: Record<string, number> = Object.fromEntries(known.map((c) => [c, 1]));
      if (typeof e.country === 'string') values[e.country] = 10;
      return (
        <div className="evidence">
          <WorldMap
            values={values}
            title={`New: ${countryName(text(e.country))}; known: ${known.map((c) => countryName(c)).join(', ') || 'none'}`}
          />
        </div>
      );
    }
    case 'rate_limit_violation': {
      const windows = Array.isArray(e.windows)
        ? (e.windows as Array<{ start: string; requests?: number; rateLimited?: number }>)
        : [];
      return (
        <div className="evidence">
          <CountBars
            data={windows.map((w) => ({
              name: `rate-limited from ${utc(w.start).slice(11, 16)} UTC`,
              value: w.rateLimited ?? 0,
            }))}
            title={`Rate-limited requests per ${((num(e.window_ms) ?? 0) / 60_000).toFixed(0)}-minute window`}
          />
          <Facts rows={[['key limit', e.limit === null ? 'unknown' : `${text(e.limit)} requests per window`]]} />
        </div>
      );
    }
    case 'secret_key_client_side':
      return (
        <div className="evidence">
          <Facts
            rows={[
              ['Origin sent', text(e.origin)],
              ['route', text(e.route)],
              ['outcome', label(text(e.outcome))],
              ['client IP', text(e.ip)],
              ['user agent', text(e.user_agent)],
            ]}
          />
        </div>
      );
    case 'revoked_key_in_use':
      return (
        <div className="evidence">
          <Facts
            rows={[
              ['key state', text(e.key_state)],
              ['uses', count(num(e.uses) ?? 0)],
              ['source IPs', `${text(e.distinct_ips)}: ${Array.isArray(e.ips) ? e.ips.join(', ') : '—'}`],
            ]}
          />
        </div>
      );
    default:
      return (
        <div className="evidence">
          <Facts rows={Object.entries(e).map(([k, v]) => [label(k), text(v)])} />
        </div>
      );
  }
}

import { useEffect, useState } from 'react';
import {
  ApiError,
  get,
  query,
  SEVERITIES,
  type Alert,
  type KeyRecord,
  type SessionInfo,
  type TopKey,
  type UsagePoint,
} from '../api';
import { UsageChart } from '../components/Charts';
import { rangeBounds, RangePicker, RANGES, type RangeName } from '../components/RangePicker';
import { Empty, Failed, Loading, NeedsScope, Show } from '../components/States';
import { count, percent, utc } from '../format';
import { href } from '../router';
import { useApi, type Loaded } from '../useApi';

/** Keys whose series are summed into the tenant's series (the analytics API has per-key series only). */
const SERIES_KEYS = 25;

/** The tenant's requests and error rate over time: the sum of its busiest keys' series. */
function useTenantSeries(
  range: RangeName,
  bounds: { from: string; to: string },
): Loaded<{ points: UsagePoint[]; keys: number }> {
  const [result, setResult] = useState<Loaded<{ points: UsagePoint[]; keys: number }>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setResult({ state: 'loading' });
    (async () => {
      const top = await get<{ keys: TopKey[] }>(
        `/api/analytics/keys${query({ sort: 'requests', limit: SERIES_KEYS, ...bounds })}`,
      );
      const series = await Promise.all(
        top.keys.map((k) =>
          get<{ points: UsagePoint[] }>(
            `/api/analytics/keys/${encodeURIComponent(k.key_id)}/usage${query({ interval: RANGES[range].interval, ...bounds })}`,
          ),
        ),
      );
      const sums = new Map<string, { requests: number; errors: number; rate_limited: number }>();
      for (const s of series)
        for (const p of s.points) {
          const entry = sums.get(p.ts) ?? { requests: 0, errors: 0, rate_limited: 0 };
          entry.requests += p.requests;
          entry.errors += p.errors;
          entry.rate_limited += p.rate_limited;
          sums.set(p.ts, entry);
        }
      const points = [...sums]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([ts, s]) => ({
          ts,
          ...s,
          error_rate: s.requests === 0 ? 0 : s.errors / s.requests,
          p50_latency_ms: null,
          p95_latency_ms: null,
        }));
      return { points, keys: top.keys.length };
    })().then(
      (data) => current && setResult({ state: 'ready', data }),
      (error: unknown) =>
        current &&
        setResult({
          state: 'error',
          error: error instanceof ApiError ? error : new ApiError(0, 'error', String(error)),
        }),
    );
    return () => {
      current = false;
    };
  }, [range, bounds]);
  return result;
}

function KeyLink({ id, names }: { id: string; names: Map<string, KeyRecord> }) {
  const record = names.get(id);
  return (
    <a href={href.key(id)}>
      {record ? `${record.name} ` : ''}
      <code>{id}</code>
    </a>
  );
}

function TopKeysTable({ keys, names, caption }: { keys: TopKey[]; names: Map<string, KeyRecord>; caption: string }) {
  if (keys.length === 0) return <Empty>No requests in this range.</Empty>;
  return (
    <div className="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Errors
            </th>
            <th scope="col" className="num">
              Error rate
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.key_id}>
              <td>
                <KeyLink id={k.key_id} names={names} />
              </td>
              <td className="num">{count(k.requests)}</td>
              <td className="num">{count(k.errors)}</td>
              <td className="num">{percent(k.error_rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function OpenAlerts() {
  const alerts = useApi<{ alerts: Alert[] }>(`/api/alerts${query({ status: 'open', limit: 1000 })}`);
  return (
    <Show loaded={alerts} what="open alerts" retry={alerts.reload}>
      {({ alerts: list }) => (
        <ul className="severity-counts" aria-label="Open alerts by severity">
          {SEVERITIES.map((s) => (
            <li key={s} className={`severity-${s}`}>
              <a href={`#/alerts?severity=${s}`}>
                <strong>{count(list.filter((a) => a.severity === s).length)}</strong> {s}
              </a>
            </li>
          ))}
        </ul>
      )}
    </Show>
  );
}

export function Overview({ session }: { session: SessionInfo }) {
  const [range, setRange] = useState<RangeName>('24h');
  const [bounds, setBounds] = useState(() => rangeBounds('24h'));
  const pick = (next: RangeName) => {
    setRange(next);
    setBounds(rangeBounds(next));
  };
  const caps = session.capabilities;
  const series = useTenantSeries(range, bounds);
  const byVolume = useApi<{ keys: TopKey[] }>(
    caps.analytics ? `/api/analytics/keys${query({ sort: 'requests', limit: 10, ...bounds })}` : null,
  );
  const byErrorRate = useApi<{ keys: TopKey[] }>(
    caps.analytics ? `/api/analytics/keys${query({ sort: 'error_rate', limit: 10, ...bounds })}` : null,
  );
  const records = useApi<{ keys: KeyRecord[] }>(caps.manage ? '/api/keys?limit=1000' : null);
  const names = new Map(records.state === 'ready' ? records.data.keys.map((k) => [k.id, k]) : []);

  return (
    <section aria-labelledby="overview-title">
      <header className="page-header">
        <h1 id="overview-title">Overview{session.tenant_id ? ` · ${session.tenant_id}` : ''}</h1>
        <RangePicker value={range} onChange={pick} />
      </header>
      <p className="range-note">
        {utc(bounds.from)} – {utc(bounds.to)}
      </p>

      <div className="panel">
        <h2>Open alerts by severity</h2>
        {caps.audit ? <OpenAlerts /> : <NeedsScope scope="audit:read" what="The alert feed" />}
      </div>

      {caps.analytics ? (
        <>
          <div className="panel">
            <h2>Requests and error rate</h2>
            {series.state === 'loading' && <Loading what="the request series" />}
            {series.state === 'error' && <Failed error={series.error} what="the request series" />}
            {series.state === 'ready' &&
              (series.data.keys === 0 ? (
                <Empty>No requests in this range.</Empty>
              ) : (
                <UsageChart
                  points={series.data.points}
                  rangeMs={RANGES[range].ms}
                  title={`Requests per ${RANGES[range].interval} (bars) and error rate in % (line), UTC; sum of the ${series.data.keys} busiest key${series.data.keys === 1 ? '' : 's'}`}
                />
              ))}
          </div>
          <div className="grid-2">
            <div className="panel">
              <h2>Top keys by volume</h2>
              <Show loaded={byVolume} what="top keys" retry={byVolume.reload}>
                {(d) => <TopKeysTable keys={d.keys} names={names} caption="Busiest keys in the range" />}
              </Show>
            </div>
            <div className="panel">
              <h2>Top keys by error rate</h2>
              <Show loaded={byErrorRate} what="top keys" retry={byErrorRate.reload}>
                {(d) => <TopKeysTable keys={d.keys} names={names} caption="Errors are answers with status ≥ 400" />}
              </Show>
            </div>
          </div>
        </>
      ) : (
        <div className="panel">
          <NeedsScope scope="analytics:read" what="Usage analytics" />
        </div>
      )}
    </section>
  );
}

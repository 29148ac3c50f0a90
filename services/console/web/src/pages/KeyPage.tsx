import { useState } from 'react';
import {
  post,
  query,
  type ErrorBreakdown,
  type FeatureBreakdown,
  type GeoBreakdown,
  type KeyRecord,
  type SessionInfo,
  type UsagePoint,
} from '../api';
import { CountBars, UsageChart } from '../components/Charts';
import { ConfirmAction } from '../components/ConfirmAction';
import { rangeBounds, RangePicker, RANGES, type RangeName } from '../components/RangePicker';
import { SecretOnce } from '../components/SecretOnce';
import { Empty, NeedsScope, Show } from '../components/States';
import { countryName, WorldMap } from '../components/WorldMap';
import { count, label, ms, percent, requests, utc } from '../format';
import { href } from '../router';
import { useApi } from '../useApi';
import { AlertFeed } from './Alerts';
import { AuditLog } from './Audit';

function Record({ record }: { record: KeyRecord }) {
  const rows: Array<[string, string]> = [
    ['name', record.name],
    ['type', `${record.type} · ${record.environment}`],
    ['shown as', `${record.prefix}…${record.last4}`],
    ['scopes', record.scopes.join(', ') || 'none'],
    ['created', `${utc(record.created_at)} by ${record.created_by}`],
    ['rotated from / to', `${record.rotated_from ?? '—'} / ${record.rotated_to ?? '—'}`],
    ['expires', record.expires_at ? utc(record.expires_at) : 'never'],
    ['last used', utc(record.last_used_at)],
    ['allowed IPs', record.allowed_ips.join(', ') || 'any'],
    ['allowed origins', record.allowed_origins.join(', ') || 'none (no browser use)'],
    [
      'rate limit',
      record.rate_limit ? `${count(record.rate_limit.limit)} requests per ${record.rate_limit.window_s} s` : 'default',
    ],
  ];
  return (
    <dl className="facts record">
      {rows.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function KeyActions({ record, onChanged }: { record: KeyRecord; onChanged: () => void }) {
  const [secret, setSecret] = useState<string | null>(null);
  const path = (action: string) => `/api/keys/${encodeURIComponent(record.id)}/${action}`;
  const final = record.state === 'revoked' || record.state === 'expired';
  const run = (action: string) => async (reason: string) => {
    await post(path(action), reason ? { reason } : {});
    onChanged();
  };
  return (
    <div className="panel">
      <h2>Actions</h2>
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
      <div className="actions">
        <ConfirmAction
          label="Rotate"
          title={`Rotate ${record.name}?`}
          consequence="A new secret is created and shown once. The current secret keeps working for 24 hours (the grace period), then expires."
          disabled={final}
          onConfirm={async () => {
            const answer = await post<{ secret: string; key: KeyRecord }>(path('rotate'), { grace_period_s: 86_400 });
            setSecret(answer.secret);
            onChanged();
          }}
        />
        {record.state === 'deactivated' || record.state === 'suspended' ? (
          <ConfirmAction
            label="Reactivate"
            title={`Reactivate ${record.name}?`}
            consequence="The key works again at once."
            withReason
            onConfirm={run('reactivate')}
          />
        ) : (
          <ConfirmAction
            label="Deactivate"
            title={`Deactivate ${record.name}?`}
            consequence="Every request with this key is refused until someone reactivates it."
            withReason
            disabled={final}
            onConfirm={run('deactivate')}
          />
        )}
        <ConfirmAction
          label="Revoke"
          danger
          title={`Revoke ${record.name}?`}
          consequence="The key stops working everywhere within seconds. This cannot be undone."
          withReason
          disabled={record.state === 'revoked'}
          onConfirm={run('revoke')}
        />
      </div>
    </div>
  );
}

export function KeyPage({ session, id }: { session: SessionInfo; id: string }) {
  const caps = session.capabilities;
  const [range, setRange] = useState<RangeName>('24h');
  const [bounds, setBounds] = useState(() => rangeBounds('24h'));
  const pick = (next: RangeName) => {
    setRange(next);
    setBounds(rangeBounds(next));
  };
  const base = `/api/analytics/keys/${encodeURIComponent(id)}`;
  const record = useApi<{ key: KeyRecord }>(caps.manage ? `/api/keys/${encodeURIComponent(id)}` : null);
  const usage = useApi<{ points: UsagePoint[] }>(
    caps.analytics ? `${base}/usage${query({ interval: RANGES[range].interval, ...bounds })}` : null,
  );
  const errors = useApi<ErrorBreakdown>(caps.analytics ? `${base}/errors${query(bounds)}` : null);
  const geo = useApi<GeoBreakdown>(caps.analytics ? `${base}/geo${query(bounds)}` : null);
  const features = useApi<FeatureBreakdown>(caps.analytics ? `${base}/features${query(bounds)}` : null);

  return (
    <section aria-labelledby="key-title">
      <header className="page-header">
        <h1 id="key-title">
          {record.state === 'ready' ? record.data.key.name : 'Key'} <code>{id}</code>
          {record.state === 'ready' && (
            <span className={`badge state state-${record.data.key.state}`} data-testid="key-state">
              {record.data.key.state}
            </span>
          )}
        </h1>
        <RangePicker value={range} onChange={pick} />
      </header>
      <p className="range-note">
        {utc(bounds.from)} – {utc(bounds.to)}
      </p>

      {caps.manage ? (
        <Show loaded={record} what="the key record" retry={record.reload}>
          {({ key }) => (
            <div className="grid-2">
              <div className="panel">
                <h2>Record</h2>
                {key.state_reason && <p className="meta">State reason: {key.state_reason}</p>}
                <Record record={key} />
              </div>
              <KeyActions record={key} onChanged={record.reload} />
            </div>
          )}
        </Show>
      ) : (
        <div className="panel">
          <NeedsScope scope="keys:manage" what="The key record and its actions" />
        </div>
      )}

      {caps.analytics ? (
        <>
          <div className="panel">
            <h2>Usage</h2>
            <Show loaded={usage} what="usage" retry={usage.reload}>
              {({ points }) =>
                points.every((p) => p.requests === 0) ? (
                  <Empty>No requests in this range.</Empty>
                ) : (
                  <>
                    <UsageChart
                      points={points}
                      rangeMs={RANGES[range].ms}
                      title={`Requests per ${RANGES[range].interval} (bars) and error rate in % (line), UTC`}
                    />
                    <p className="meta">
                      Latency of the busiest bucket: p50{' '}
                      {ms([...points].sort((a, b) => b.requests - a.requests)[0]?.p50_latency_ms ?? null)}, p95{' '}
                      {ms([...points].sort((a, b) => b.requests - a.requests)[0]?.p95_latency_ms ?? null)}
                    </p>
                  </>
                )
              }
            </Show>
          </div>
          <div className="panel">
            <h2>Errors</h2>
            <Show loaded={errors} what="errors" retry={errors.reload}>
              {(e) =>
                e.requests === 0 ? (
                  <Empty>No requests in this range.</Empty>
                ) : (
                  <>
                    <p className="meta">
                      {requests(e.requests)} · {count(e.errors)} errors ({percent(e.error_rate)}) ·{' '}
                      {count(e.rate_limited)} rate-limited
                    </p>
                    <div className="grid-2">
                      <CountBars
                        data={e.by_outcome.map((o) => ({ name: label(o.outcome), value: o.requests }))}
                        title="Requests by outcome"
                      />
                      <CountBars
                        data={e.by_status.map((s) => ({ name: `HTTP ${s.status}`, value: s.requests }))}
                        title="Requests by status"
                      />
                    </div>
                  </>
                )
              }
            </Show>
          </div>
          <div className="panel">
            <h2>Geography</h2>
            <Show loaded={geo} what="geography" retry={geo.reload}>
              {({ countries }) =>
                countries.length === 0 ? (
                  <Empty>No requests in this range.</Empty>
                ) : (
                  <div className="grid-2">
                    <WorldMap
                      values={Object.fromEntries(
                        countries.filter((c) => c.country).map((c) => [c.country!, c.requests]),
                      )}
                      title="Requests by country (darker is more)"
                    />
                    <div className="table-wrap">
                      <table>
                        <caption>Requests by country and city</caption>
                        <thead>
                          <tr>
                            <th scope="col">Country</th>
                            <th scope="col">City</th>
                            <th scope="col" className="num">
                              Requests
                            </th>
                            <th scope="col" className="num">
                              Errors
                            </th>
                          </tr>
                        </thead>
                        <tbody>
                          {countries.flatMap((c) =>
                            c.cities.map((city, i) => (
                              <tr key={`${c.country}-${city.region}-${city.city}-${i}`}>
                                <td>{i === 0 ? countryName(c.country) : ''}</td>
                                <td>{city.city ?? 'unknown'}</td>
                                <td className="num">{count(city.requests)}</td>
                                <td className="num">{count(city.errors)}</td>
                              </tr>
                            )),
                          )}
                        </tbody>
                      </table>
                    </div>
                  </div>
                )
              }
            </Show>
          </div>
          <div className="panel">
            <h2>Features</h2>
            <Show loaded={features} what="features" retry={features.reload}>
              {(f) =>
                f.by_route.length === 0 ? (
                  <Empty>No requests in this range.</Empty>
                ) : (
                  <div className="grid-2">
                    <CountBars
                      data={f.by_scope.map((s) => ({ name: s.scope ?? 'no scope', value: s.requests }))}
                      title="Requests by scope"
                    />
                    <div className="table-wrap">
                      <table>
                        <caption>Requests by route</caption>
                        <thead>
                          <tr>
                            <th scope="col">Route</th>
                            <th scope="col">Scope</th>
                            <th scope="col" className="num">
                              Requests
                            </th>
                            <th scope="col" className="num">
                              Error rate
                            </th>
                          </tr>
                        </thead>
                        <tbody>
                          {f.by_route.map((r) => (
                            <tr key={`${r.method} ${r.route}`}>
                              <td>
                                <code>
                                  {r.method} {r.route}
                                </code>
                              </td>
                              <td>{r.scope ?? '—'}</td>
                              <td className="num">{count(r.requests)}</td>
                              <td className="num">{percent(r.error_rate)}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  </div>
                )
              }
            </Show>
          </div>
        </>
      ) : (
        <div className="panel">
          <NeedsScope scope="analytics:read" what="Usage analytics" />
        </div>
      )}

      <div className="panel">
        <h2>
          Alerts for this key <a href={href.alerts(id)}>(all filters)</a>
        </h2>
        {caps.audit ? (
          <AlertFeed initial={{}} fixedKey={id} limit={50} canChange={caps.manage} />
        ) : (
          <NeedsScope scope="audit:read" what="The alert feed" />
        )}
      </div>
      {caps.audit && (
        <div className="panel">
          <h2>
            Audit trail <a href={href.audit(id)}>(filter)</a>
          </h2>
          <AuditLog keyId={id} limit={20} />
        </div>
      )}
    </section>
  );
}

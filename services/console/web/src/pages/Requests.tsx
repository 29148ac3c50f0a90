import { useEffect, useState } from 'react';
import { ApiError, get, query, type ApiRequest, type RequestsPage, type SessionInfo } from '../api';
import { Empty, Failed, Loading, NeedsScope } from '../components/States';
import { countryName } from '../components/WorldMap';
import { label, ms, utc } from '../format';
import { href, REQUEST_FILTERS, type RequestFilters } from '../router';

const FIELD_LABELS: Record<(typeof REQUEST_FILTERS)[number], [string, string]> = {
  key_id: ['Key id', 'key_…'],
  ip: ['IP or CIDR', '203.0.113.0/24'],
  country: ['Country (ISO code)', 'GB'],
  outcome: ['Outcome', 'allowed, unknown_key, …'],
  status: ['HTTP status', '403'],
  route: ['Route', '/v1/customers/:id'],
  scope: ['Scope', 'customers:read'],
  from: ['From (UTC, RFC 3339)', '2026-12-07T10:00:00Z'],
  to: ['To (UTC, RFC 3339)', '2026-12-07T11:00:00Z'],
};

const PAGE = 100;

type State =
  | { state: 'loading' }
  | { state: 'error'; error: ApiError }
  | { state: 'ready'; requests: ApiRequest[]; next: string | null; more: 'idle' | 'loading' | ApiError };

function RequestTable({ requests }: { requests: ApiRequest[] }) {
  return (
    <div className="table-wrap">
      <table className="requests">
        <caption>Newest first; times in UTC</caption>
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Key</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="num">
              Status
            </th>
            <th scope="col">Request</th>
            <th scope="col">Address</th>
            <th scope="col">Place</th>
            <th scope="col" className="num">
              Latency
            </th>
            <th scope="col">Client</th>
          </tr>
        </thead>
        <tbody>
          {requests.map((r) => (
            <tr key={r.event_id} data-event-id={r.event_id}>
              <td>{utc(r.ts).replace(' UTC', '')}</td>
              <td>{r.key_id ? <a href={href.key(r.key_id)}>{r.key_id}</a> : '—'}</td>
              <td>{label(r.outcome)}</td>
              <td className="num">{r.status}</td>
              <td>
                <code>
                  {r.method} {r.route}
                </code>
                {r.scope ? ` (${r.scope})` : ''}
              </td>
              <td>
                <a href={href.requests({ ip: r.ip })}>{r.ip}</a>
              </td>
              <td>{r.country ? `${countryName(r.country)}${r.city ? `, ${r.city}` : ''}` : 'unknown'}</td>
              <td className="num">{ms(r.latency_ms)}</td>
              <td className="details">
                {r.user_agent ?? '—'}
                {r.origin ? ` · Origin ${r.origin}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Request search: the filters are the page's URL, so the link from an alert opens exactly its requests. */
export function Requests({ session, filters }: { session: SessionInfo; filters: RequestFilters }) {
  const [draft, setDraft] = useState<RequestFilters>(filters);
  const [result, setResult] = useState<State>({ state: 'loading' });
  const search = query({ ...filters, limit: PAGE });
  useEffect(() => {
    if (!session.capabilities.analytics) return;
    let current = true;
    setResult({ state: 'loading' });
    get<RequestsPage>(`/api/requests${search}`).then(
      (page) => current && setResult({ state: 'ready', requests: page.requests, next: page.next_cursor, more: 'idle' }),
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
  }, [search, session.capabilities.analytics]);

  async function more() {
    if (result.state !== 'ready' || !result.next) return;
    const before = result;
    setResult({ ...before, more: 'loading' });
    try {
      const page = await get<RequestsPage>(`/api/requests${query({ ...filters, limit: PAGE, cursor: before.next })}`);
      setResult({
        state: 'ready',
        requests: [...before.requests, ...page.requests],
        next: page.next_cursor,
        more: 'idle',
      });
    } catch (error) {
      setResult({ ...before, more: error instanceof ApiError ? error : new ApiError(0, 'error', String(error)) });
    }
  }

  if (!session.capabilities.analytics)
    return (
      <section aria-labelledby="requests-title">
        <h1 id="requests-title">Requests</h1>
        <NeedsScope scope="analytics:read" what="Request search" />
      </section>
    );
  return (
    <section aria-labelledby="requests-title">
      <header className="page-header">
        <h1 id="requests-title">Requests</h1>
      </header>
      <form
        className="filters panel"
        aria-label="Request filters"
        onSubmit={(e) => {
          e.preventDefault();
          window.location.hash = href.requests(
            Object.fromEntries(Object.entries(draft).map(([k, v]) => [k, v.trim() || undefined])),
          );
        }}
      >
        {REQUEST_FILTERS.map((name) => (
          <label key={name} htmlFor={`req-${name}`}>
            {FIELD_LABELS[name][0]}
            <input
              id={`req-${name}`}
              value={draft[name] ?? ''}
              placeholder={FIELD_LABELS[name][1]}
              onChange={(e) => setDraft((d) => ({ ...d, [name]: e.target.value }))}
            />
          </label>
        ))}
        <div className="actions">
          <button type="submit" className="primary">
            Search
          </button>
          <a href={href.requests()}>Clear</a>
        </div>
      </form>
      <div className="panel">
        {result.state === 'loading' && <Loading what="requests" />}
        {result.state === 'error' && <Failed error={result.error} what="requests" />}
        {result.state === 'ready' &&
          (result.requests.length === 0 ? (
            <Empty>No requests match these filters.</Empty>
          ) : (
            <>
              <p className="meta" aria-live="polite" data-testid="request-count">
                {result.requests.length} request{result.requests.length === 1 ? '' : 's'}
                {result.next ? ' shown; more match' : ''}
              </p>
              <RequestTable requests={result.requests} />
              {result.next && (
                <div className="actions">
                  <button type="button" disabled={result.more === 'loading'} onClick={() => void more()}>
                    {result.more === 'loading' ? 'Loading…' : `Load ${PAGE} more`}
                  </button>
                  {result.more instanceof ApiError && (
                    <span className="error" role="alert">
                      {result.more.message}
                    </span>
                  )}
                </div>
              )}
            </>
          ))}
      </div>
    </section>
  );
}

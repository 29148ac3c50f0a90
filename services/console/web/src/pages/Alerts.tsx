import { useState } from 'react';
import { ALERT_STATUSES, ALERT_TYPES, query, SEVERITIES, type Alert, type SessionInfo } from '../api';
import { AlertList } from '../components/AlertList';
import { Empty, Failed, Loading, NeedsScope } from '../components/States';
import { label, utc } from '../format';
import { usePolling } from '../usePolling';

interface Filters {
  severity: string;
  type: string;
  status: string;
  key_id: string;
}

function Select({
  name,
  value,
  options,
  onChange,
}: {
  name: string;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
}) {
  const id = `filter-${name}`;
  return (
    <label htmlFor={id}>
      {label(name)}
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {label(o)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The alert feed with filters, polled for live updates; `fixed` filters (a key page's) are not shown. */
export function AlertFeed({
  initial,
  fixedKey,
  limit = 200,
  canChange,
}: {
  initial: Partial<Filters>;
  fixedKey?: string;
  limit?: number;
  /** `keys:manage`: acknowledge, resolve, dismiss, confirm. */
  canChange: boolean;
}) {
  const [filters, setFilters] = useState<Filters>({
    severity: '',
    type: '',
    status: fixedKey ? '' : 'open',
    key_id: '',
    ...initial,
  });
  const keyId = fixedKey ?? filters.key_id.trim();
  const feed = usePolling<{ alerts: Alert[] }>(
    `/api/alerts${query({ severity: filters.severity, type: filters.type, status: filters.status, key_id: keyId, limit })}`,
  );
  const set = (name: keyof Filters) => (value: string) => setFilters((f) => ({ ...f, [name]: value }));
  const replace = (alert: Alert) =>
    feed.setData((d) => (d ? { alerts: d.alerts.map((a) => (a.alert_id === alert.alert_id ? alert : a)) } : d));
  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Alert filters">
        <Select name="severity" value={filters.severity} options={SEVERITIES} onChange={set('severity')} />
        <Select name="type" value={filters.type} options={ALERT_TYPES} onChange={set('type')} />
        <Select name="status" value={filters.status} options={ALERT_STATUSES} onChange={set('status')} />
        {!fixedKey && (
          <label htmlFor="filter-key">
            key id
            <input
              id="filter-key"
              value={filters.key_id}
              placeholder="key_…"
              onChange={(e) => set('key_id')(e.target.value)}
            />
          </label>
        )}
      </form>
      <p className="live" aria-live="polite">
        {feed.error
          ? `Live updates paused: ${feed.error.message}; retrying.`
          : feed.updatedAt
            ? `Live: refreshed ${utc(new Date(feed.updatedAt).toISOString())}, every 10 s.`
            : ''}
      </p>
      {feed.data === null && !feed.error && <Loading what="alerts" />}
      {feed.data === null && feed.error && <Failed error={feed.error} what="alerts" retry={feed.refresh} />}
      {feed.data !== null &&
        (feed.data.alerts.length === 0 ? (
          <Empty>No alerts match these filters.</Empty>
        ) : (
          <AlertList alerts={feed.data.alerts} canChange={canChange} onChanged={replace} />
        ))}
    </>
  );
}

export function Alerts({ session, keyId, severity }: { session: SessionInfo; keyId?: string; severity?: string }) {
  return (
    <section aria-labelledby="alerts-title">
      <header className="page-header">
        <h1 id="alerts-title">Alerts</h1>
      </header>
      {session.capabilities.audit ? (
        <AlertFeed
          key={`${keyId ?? ''}|${severity ?? ''}`}
          initial={{ key_id: keyId ?? '', severity: severity ?? '' }}
          canChange={session.capabilities.manage}
        />
      ) : (
        <NeedsScope scope="audit:read" what="The alert feed" />
      )}
    </section>
  );
}

import { useState } from 'react';
import { query, type AuditEntry, type SessionInfo } from '../api';
import { Empty, NeedsScope, Show } from '../components/States';
import { label, utc } from '../format';
import { href } from '../router';
import { useApi, type Loaded } from '../useApi';

/** `2026-11-28T05:00` typed in a datetime-local field, read as UTC. */
const fromField = (value: string) => (value ? `${value}:00Z` : undefined);

function Details({ entry }: { entry: AuditEntry }) {
  /* eslint-disable @typescript-eslint/no-base-to-string -- objects are JSON.stringify-ed; only scalars reach String() */
  const parts = Object.entries(entry.details).map(
    ([k, v]) => `${label(k)}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
  );
  /* eslint-enable @typescript-eslint/no-base-to-string */
  return <>{parts.join(' · ') || '—'}</>;
}

export function AuditLog({ keyId, limit = 200 }: { keyId?: string; limit?: number }) {
  const entries = useApi<{ entries: AuditEntry[] }>(`/api/audit${query({ key_id: keyId, limit })}`);
  return <AuditTable loaded={entries} retry={entries.reload} />;
}

function AuditTable({ loaded, retry }: { loaded: Loaded<{ entries: AuditEntry[] }>; retry: () => void }) {
  return (
    <Show loaded={loaded} what="the audit log" retry={retry}>
      {({ entries }) =>
        entries.length === 0 ? (
          <Empty>No audit entries match.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="audit">
              <caption>Newest first; times in UTC</caption>
              <thead>
                <tr>
                  <th scope="col">Time (UTC)</th>
                  <th scope="col">Action</th>
                  <th scope="col">Key</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {[...entries].reverse().map((e) => (
                  <tr key={`${e.tenant_id}:${e.id}`}>
                    <td>{utc(e.ts).replace(' UTC', '')}</td>
                    <td>{label(e.action)}</td>
                    <td>{e.key_id ? <a href={href.key(e.key_id)}>{e.key_id}</a> : '—'}</td>
                    <td>{e.actor}</td>
                    <td>{e.reason ?? '—'}</td>
                    <td className="details">
                      <Details entry={e} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      }
    </Show>
  );
}

export function Audit({ session, keyId }: { session: SessionInfo; keyId?: string }) {
  const [form, setForm] = useState({ key_id: keyId ?? '', from: '', to: '', limit: '200' });
  const [applied, setApplied] = useState(form);
  const entries = useApi<{ entries: AuditEntry[] }>(
    session.capabilities.audit
      ? `/api/audit${query({ key_id: applied.key_id.trim(), from: fromField(applied.from), to: fromField(applied.to), limit: applied.limit })}`
      : null,
  );
  const field = (name: keyof typeof form) => ({
    value: form[name],
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => setForm((f) => ({ ...f, [name]: e.target.value })),
  });
  return (
    <section aria-labelledby="audit-title">
      <header className="page-header">
        <h1 id="audit-title">Audit log</h1>
      </header>
      {!session.capabilities.audit ? (
        <NeedsScope scope="audit:read" what="The audit log" />
      ) : (
        <>
          <form
            className="filters"
            aria-label="Audit filters"
            onSubmit={(e) => {
              e.preventDefault();
              setApplied(form);
            }}
          >
            <label htmlFor="audit-key">
              key id
              <input id="audit-key" placeholder="key_…" {...field('key_id')} />
            </label>
            <label htmlFor="audit-from">
              from (UTC)
              <input id="audit-from" type="datetime-local" {...field('from')} />
            </label>
            <label htmlFor="audit-to">
              to (UTC)
              <input id="audit-to" type="datetime-local" {...field('to')} />
            </label>
            <label htmlFor="audit-limit">
              at most
              <input id="audit-limit" type="number" min={1} max={10000} {...field('limit')} />
            </label>
            <button type="submit">Apply</button>
          </form>
          <AuditTable loaded={entries} retry={entries.reload} />
        </>
      )}
    </section>
  );
}

import { useState } from 'react';
import {
  ApiError,
  KEY_ENVIRONMENTS,
  KEY_STATES,
  KEY_TYPES,
  post,
  query,
  type KeyEnvironment,
  type KeyRecord,
  type KeyType,
  type SessionInfo,
} from '../api';
import { SecretOnce } from '../components/SecretOnce';
import { Empty, NeedsScope, Show } from '../components/States';
import { ago, utc } from '../format';
import { href, type KeyFilters } from '../router';
import { useApi } from '../useApi';
import { KeyActions } from './KeyPage';

/** Filters live in the URL (`#/keys?q=…&status=…`), so a filtered list can be shared and survives a reload. */
function setFilters(filters: KeyFilters): void {
  window.location.hash = href.keys(filters);
}

function matches(key: KeyRecord, q: string): boolean {
  if (!q) return true;
  const needle = q.toLowerCase();
  return [key.id, key.name, `${key.prefix}…${key.last4}`, key.last4, ...key.scopes].some((s) =>
    s.toLowerCase().includes(needle),
  );
}

function CreateKey({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [type, setType] = useState<KeyType>('secret');
  const [environment, setEnvironment] = useState<KeyEnvironment>('live');
  const [scopes, setScopes] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The new secret lives in this state only: "hide it" sets it to null, which removes it from the DOM.
  const [created, setCreated] = useState<{ secret: string; key: KeyRecord } | null>(null);
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const list = scopes
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      const answer = await post<{ key: KeyRecord; secret: string }>('/api/keys', {
        name: name.trim(),
        type,
        environment,
        ...(list.length > 0 ? { scopes: list } : {}),
      });
      setCreated(answer);
      setName('');
      setScopes('');
      onCreated();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="panel">
      <h2>Create a key</h2>
      {created && (
        <>
          <p className="meta">
            Created <a href={href.key(created.key.id)}>{created.key.name}</a> ({created.key.id}).
          </p>
          <SecretOnce secret={created.secret} onDone={() => setCreated(null)} />
        </>
      )}
      <form
        className="filters"
        aria-label="Create a key"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label htmlFor="new-key-name">
          Name
          <input
            id="new-key-name"
            required
            maxLength={200}
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="billing-backend"
          />
        </label>
        <label htmlFor="new-key-type">
          Type
          <select id="new-key-type" value={type} onChange={(e) => setType(e.target.value as KeyType)}>
            {KEY_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label htmlFor="new-key-environment">
          Environment
          <select
            id="new-key-environment"
            value={environment}
            onChange={(e) => setEnvironment(e.target.value as KeyEnvironment)}
          >
            {KEY_ENVIRONMENTS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label htmlFor="new-key-scopes">
          Scopes (comma-separated; empty = the defaults)
          <input
            id="new-key-scopes"
            value={scopes}
            onChange={(e) => setScopes(e.target.value)}
            placeholder="bundles:read, subscriptions:read"
          />
        </label>
        <button type="submit" className="primary" disabled={busy || name.trim() === ''}>
          {busy ? 'Creating…' : 'Create key'}
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function KeyRow({ record, onChanged }: { record: KeyRecord; onChanged: () => void }) {
  return (
    <li className="key-row" data-key-id={record.id}>
      <details>
        <summary>
          <span className="key-name">{record.name}</span>
          <code>{record.id}</code>
          <code>
            {record.prefix}…{record.last4}
          </code>
          <span className={`badge state state-${record.state}`} data-testid="key-row-state">
            {record.state}
          </span>
          <span className="meta">
            {record.type} · {record.environment} · last used{' '}
            {record.last_used_at ? <time title={utc(record.last_used_at)}>{ago(record.last_used_at)}</time> : 'never'}
          </span>
        </summary>
        <p className="meta">
          <a href={href.key(record.id)}>Open the key (usage, geography, alerts, audit)</a> · scopes{' '}
          {record.scopes.join(', ') || 'none'}
        </p>
        <KeyActions record={record} onChanged={onChanged} />
      </details>
    </li>
  );
}

export function Keys({ session, filters }: { session: SessionInfo; filters: KeyFilters }) {
  const [q, setQ] = useState(filters.q ?? '');
  const list = useApi<{ keys: KeyRecord[] }>(
    session.capabilities.manage
      ? `/api/keys${query({ status: filters.status, environment: filters.environment, limit: 1000 })}`
      : null,
  );
  if (!session.capabilities.manage)
    return (
      <section aria-labelledby="keys-title">
        <h1 id="keys-title">Keys</h1>
        <NeedsScope scope="keys:manage" what="Managing keys" />
      </section>
    );
  return (
    <section aria-labelledby="keys-title">
      <header className="page-header">
        <h1 id="keys-title">Keys</h1>
      </header>
      <CreateKey onCreated={list.reload} />
      <div className="panel">
        <form
          className="filters"
          aria-label="Key filters"
          onSubmit={(e) => {
            e.preventDefault();
            setFilters({ ...filters, q: q.trim() || undefined });
          }}
        >
          <label htmlFor="key-search">
            Search (name, id, last 4, scope)
            <input
              id="key-search"
              type="search"
              value={q}
              onChange={(e) => setQ(e.target.value)}
              onBlur={() => setFilters({ ...filters, q: q.trim() || undefined })}
            />
          </label>
          <label htmlFor="key-state">
            State
            <select
              id="key-state"
              value={filters.status ?? ''}
              onChange={(e) => setFilters({ ...filters, q: q || undefined, status: e.target.value || undefined })}
            >
              <option value="">any</option>
              {KEY_STATES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <label htmlFor="key-environment">
            Environment
            <select
              id="key-environment"
              value={filters.environment ?? ''}
              onChange={(e) => setFilters({ ...filters, q: q || undefined, environment: e.target.value || undefined })}
            >
              <option value="">any</option>
              {KEY_ENVIRONMENTS.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        </form>
        <Show loaded={list} what="keys" retry={list.reload}>
          {({ keys }) => {
            const shown = keys.filter((k) => matches(k, q.trim()));
            return shown.length === 0 ? (
              <Empty>No keys match.</Empty>
            ) : (
              <>
                <p className="meta" aria-live="polite">
                  {shown.length} of {keys.length} keys
                </p>
                <ul className="key-list" aria-label="Keys">
                  {shown.map((k) => (
                    <KeyRow key={k.id} record={k} onChanged={list.reload} />
                  ))}
                </ul>
              </>
            );
          }}
        </Show>
      </div>
    </section>
  );
}

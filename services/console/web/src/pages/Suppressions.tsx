import { useState } from 'react';
import {
  ALERT_TYPES,
  ApiError,
  del,
  post,
  put,
  type SessionInfo,
  type Suppression,
  type TrustedNetworks,
} from '../api';
import { ConfirmAction } from '../components/ConfirmAction';
import { Empty, NeedsScope, Show } from '../components/States';
import { DURATIONS, label, utc } from '../format';
import { href } from '../router';
import { useApi } from '../useApi';

function AddSuppression({ onAdded }: { onAdded: () => void }) {
  const [type, setType] = useState('');
  const [keyId, setKeyId] = useState('');
  const [cidr, setCidr] = useState('');
  const [forS, setForS] = useState(DURATIONS[1]![0]);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      await post('/api/suppressions', {
        ...(type ? { type } : {}),
        ...(keyId.trim() ? { key_id: keyId.trim() } : {}),
        ...(cidr.trim() ? { cidr: cidr.trim() } : {}),
        expires_at: new Date(Date.now() + forS * 1000).toISOString(),
        reason: reason.trim(),
      });
      setKeyId('');
      setCidr('');
      setReason('');
      onAdded();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      className="filters"
      aria-label="Add a suppression rule"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label htmlFor="sup-type">
        Alert type
        <select id="sup-type" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">every type</option>
          {ALERT_TYPES.map((t) => (
            <option key={t} value={t}>
              {label(t)}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor="sup-key">
        Key id (empty = every key)
        <input id="sup-key" value={keyId} placeholder="key_…" onChange={(e) => setKeyId(e.target.value)} />
      </label>
      <label htmlFor="sup-cidr">
        IP or CIDR (empty = any address)
        <input id="sup-cidr" value={cidr} placeholder="198.51.100.0/24" onChange={(e) => setCidr(e.target.value)} />
      </label>
      <label htmlFor="sup-for">
        For
        <select id="sup-for" value={forS} onChange={(e) => setForS(Number(e.target.value))}>
          {DURATIONS.map(([s, text]) => (
            <option key={s} value={s}>
              {text}
            </option>
          ))}
        </select>
      </label>
      <label htmlFor="sup-reason">
        Why (kept in the audit log)
        <input id="sup-reason" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <button type="submit" className="primary" disabled={busy || reason.trim() === ''}>
        {busy ? 'Adding…' : 'Add rule'}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function SuppressionTable({ manage }: { manage: boolean }) {
  const list = useApi<{ suppressions: Suppression[] }>('/api/suppressions');
  return (
    <div className="panel">
      <h2>Suppression rules</h2>
      <p className="meta">
        The detector does not raise an alert that a live rule matches. Rules come from dismissing an alert with
        &ldquo;suppress&rdquo;, or from here; every rule expires.
      </p>
      {manage && <AddSuppression onAdded={list.reload} />}
      <Show loaded={list} what="suppression rules" retry={list.reload}>
        {({ suppressions }) =>
          suppressions.length === 0 ? (
            <Empty>No live suppression rules.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <caption>Live rules (times in UTC)</caption>
                <thead>
                  <tr>
                    <th scope="col">Alert type</th>
                    <th scope="col">Key</th>
                    <th scope="col">IP / CIDR</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Who</th>
                    <th scope="col">Why</th>
                    <th scope="col">
                      <span className="visually-hidden">Action</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {suppressions.map((s) => (
                    <tr key={s.id} data-suppression-id={s.id}>
                      <td>{s.type ? label(s.type) : 'every type'}</td>
                      <td>{s.key_id ? <a href={href.key(s.key_id)}>{s.key_id}</a> : 'every key'}</td>
                      <td>{s.cidr ?? 'any'}</td>
                      <td>{utc(s.expires_at)}</td>
                      <td>
                        {s.created_by} at {utc(s.created_at)}
                      </td>
                      <td>{s.reason}</td>
                      <td>
                        {manage && (
                          <ConfirmAction
                            label="Remove"
                            danger
                            title="Remove this suppression rule?"
                            consequence="Alerts it silenced can be raised again from now on."
                            onConfirm={async () => {
                              await del(`/api/suppressions/${encodeURIComponent(s.id)}`);
                              list.reload();
                            }}
                          />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </div>
  );
}

function TrustedNetworksForm({
  current,
  manage,
  onSaved,
}: {
  current: string[];
  manage: boolean;
  onSaved: () => void;
}) {
  const [text, setText] = useState(current.join('\n'));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  async function save() {
    setBusy(true);
    setMessage(null);
    try {
      const cidrs = text
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      await put('/api/trusted-networks', { cidrs });
      setMessage({ ok: true, text: `Saved ${cidrs.length} network${cidrs.length === 1 ? '' : 's'}.` });
      onSaved();
    } catch (e) {
      setMessage({ ok: false, text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      className="stacked"
      aria-label="Trusted networks"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label htmlFor="trusted-cidrs">
        One IP or CIDR per line (office, VPN egress, CI runners)
        <textarea
          id="trusted-cidrs"
          rows={5}
          value={text}
          readOnly={!manage}
          onChange={(e) => setText(e.target.value)}
          placeholder="198.51.100.0/24"
        />
      </label>
      {manage && (
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save trusted networks'}
          </button>
          {message && (
            <span className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>
              {message.text}
            </span>
          )}
        </div>
      )}
    </form>
  );
}

function TrustedNetworksPanel({ manage }: { manage: boolean }) {
  const loaded = useApi<TrustedNetworks>('/api/trusted-networks');
  return (
    <div className="panel">
      <h2>Trusted networks</h2>
      <p className="meta">
        Requests from these networks are not judged by the geography and credential-stuffing detectors.
      </p>
      <Show loaded={loaded} what="trusted networks" retry={loaded.reload}>
        {({ cidrs }) => <TrustedNetworksForm current={cidrs} manage={manage} onSaved={loaded.reload} />}
      </Show>
    </div>
  );
}

export function Suppressions({ session }: { session: SessionInfo }) {
  const { audit, manage } = session.capabilities;
  return (
    <section aria-labelledby="suppressions-title">
      <header className="page-header">
        <h1 id="suppressions-title">Suppressions and trusted networks</h1>
      </header>
      {audit ? (
        <>
          <SuppressionTable manage={manage} />
          <TrustedNetworksPanel manage={manage} />
        </>
      ) : (
        <NeedsScope scope="audit:read" what="Suppression rules" />
      )}
    </section>
  );
}

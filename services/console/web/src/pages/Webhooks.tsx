import { useState } from 'react';
import {
  ALERT_TYPES,
  ApiError,
  del,
  post,
  SEVERITIES,
  type Delivery,
  type SessionInfo,
  type Severity,
  type Webhook,
} from '../api';
import { ConfirmAction } from '../components/ConfirmAction';
import { SecretOnce } from '../components/SecretOnce';
import { Empty, NeedsScope, Show } from '../components/States';
import { label, utc } from '../format';
import { useApi } from '../useApi';

function Deliveries({ webhook }: { webhook: Webhook }) {
  const deliveries = useApi<{ deliveries: Delivery[] }>(
    `/api/webhooks/${encodeURIComponent(webhook.id)}/deliveries?limit=50`,
  );
  const [error, setError] = useState<string | null>(null);
  async function replay(delivery: Delivery) {
    setError(null);
    try {
      await post(
        `/api/webhooks/${encodeURIComponent(webhook.id)}/deliveries/${encodeURIComponent(delivery.id)}/replay`,
      );
      deliveries.reload();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }
  return (
    <Show loaded={deliveries} what="deliveries" retry={deliveries.reload}>
      {({ deliveries: list }) =>
        list.length === 0 ? (
          <Empty>No deliveries yet.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <caption>Last 50 deliveries, newest first (UTC)</caption>
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Alert</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Attempts
                  </th>
                  <th scope="col">Last error</th>
                  <th scope="col">
                    <span className="visually-hidden">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((d) => (
                  <tr key={d.id}>
                    <td>{utc(d.created_at).replace(' UTC', '')}</td>
                    <td>
                      {label(d.alert_type)} ({d.severity})
                    </td>
                    <td>
                      <span className={`badge delivery-${d.status}`}>{d.status}</span>
                      {d.response_status !== null ? ` HTTP ${d.response_status}` : ''}
                    </td>
                    <td className="num">{d.attempts}</td>
                    <td>{d.last_error ?? '—'}</td>
                    <td>
                      {d.status === 'failed' && (
                        <button type="button" onClick={() => void replay(d)}>
                          Replay
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {error && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
          </div>
        )
      }
    </Show>
  );
}

function WebhookItem({ webhook, onChanged }: { webhook: Webhook; onChanged: () => void }) {
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <li className="panel webhook" data-webhook-id={webhook.id}>
      <h3>
        <code>{webhook.url}</code>
      </h3>
      <p className="meta">
        {webhook.kind} · severity {webhook.min_severity} and above ·{' '}
        {webhook.types.length === 0 ? 'every alert type' : webhook.types.map(label).join(', ')} · added{' '}
        {utc(webhook.created_at)}
      </p>
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
      <div className="actions">
        <ConfirmAction
          label="Rotate signing secret"
          title="Rotate this destination's signing secret?"
          consequence="A new secret is created and shown once. The old one keeps signing for 24 hours so the receiver can switch."
          onConfirm={async () => {
            const answer = await post<{ secret: string }>(
              `/api/webhooks/${encodeURIComponent(webhook.id)}/rotate-secret`,
              { grace_period_s: 86_400 },
            );
            setSecret(answer.secret);
          }}
        />
        <ConfirmAction
          label="Remove"
          danger
          title="Remove this destination?"
          consequence="No more alerts are sent to it. Deliveries already queued are dropped."
          onConfirm={async () => {
            await del(`/api/webhooks/${encodeURIComponent(webhook.id)}`);
            onChanged();
          }}
        />
      </div>
      <details>
        <summary>Deliveries</summary>
        <Deliveries webhook={webhook} />
      </details>
    </li>
  );
}

function AddWebhook({ onAdded }: { onAdded: () => void }) {
  const [url, setUrl] = useState('');
  const [kind, setKind] = useState<'json' | 'slack'>('json');
  const [minSeverity, setMinSeverity] = useState<Severity>('medium');
  const [types, setTypes] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const answer = await post<{ secret: string }>('/api/webhooks', {
        url: url.trim(),
        kind,
        min_severity: minSeverity,
        ...(types.length > 0 ? { types } : {}),
      });
      setSecret(answer.secret);
      setUrl('');
      setTypes([]);
      onAdded();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="panel">
      <h2>Add a destination</h2>
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
      <form
        className="filters"
        aria-label="Add a destination"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label htmlFor="webhook-url">
          URL
          <input
            id="webhook-url"
            type="url"
            required
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://hooks.example.com/keywatch"
          />
        </label>
        <label htmlFor="webhook-kind">
          Kind
          <select id="webhook-kind" value={kind} onChange={(e) => setKind(e.target.value as 'json' | 'slack')}>
            <option value="json">json (signed alert JSON)</option>
            <option value="slack">slack (incoming webhook)</option>
          </select>
        </label>
        <label htmlFor="webhook-severity">
          Minimum severity
          <select
            id="webhook-severity"
            value={minSeverity}
            onChange={(e) => setMinSeverity(e.target.value as Severity)}
          >
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label htmlFor="webhook-types">
          Alert types (none selected = every type)
          <select
            id="webhook-types"
            multiple
            size={4}
            value={types}
            onChange={(e) => setTypes([...e.target.selectedOptions].map((o) => o.value))}
          >
            {ALERT_TYPES.map((t) => (
              <option key={t} value={t}>
                {label(t)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={busy || url.trim() === ''}>
          {busy ? 'Adding…' : 'Add destination'}
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

export function Webhooks({ session }: { session: SessionInfo }) {
  const list = useApi<{ webhooks: Webhook[] }>(session.capabilities.webhooks ? '/api/webhooks' : null);
  return (
    <section aria-labelledby="webhooks-title">
      <header className="page-header">
        <h1 id="webhooks-title">Webhooks</h1>
      </header>
      {session.capabilities.webhooks ? (
        <>
          <p className="meta">
            Alerts go to these destinations as POSTs signed with <code>Keywatch-Signature</code>. Failed deliveries are
            retried; the ones that still fail can be replayed here.
          </p>
          <AddWebhook onAdded={list.reload} />
          <Show loaded={list} what="destinations" retry={list.reload}>
            {({ webhooks }) =>
              webhooks.length === 0 ? (
                <Empty>No destinations yet.</Empty>
              ) : (
                <ul className="plain" aria-label="Destinations">
                  {webhooks.map((w) => (
                    <WebhookItem key={w.id} webhook={w} onChanged={list.reload} />
                  ))}
                </ul>
              )
            }
          </Show>
        </>
      ) : (
        <NeedsScope scope="webhooks:manage" what="Alert destinations" />
      )}
    </section>
  );
}

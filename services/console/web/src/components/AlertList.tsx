import { useState } from 'react';
import { ApiError, post, type Alert } from '../api';
import { ago, label, utc } from '../format';
import { href, type RequestFilters } from '../router';
import { DismissAlert } from './AlertFeedback';
import { ConfirmAction } from './ConfirmAction';
import { Evidence } from './Evidence';

/**
 * The requests behind an alert: its key (or, for alerts about an address, that address) over the
 * evidence window, with a second of slack each side for events stamped on the window's edges.
 */
export function requestsBehind(alert: Alert): RequestFilters {
  const from = new Date(Date.parse(alert.window_start) - 1000).toISOString();
  const to = new Date(Date.parse(alert.window_end) + 1000).toISOString();
  if (alert.key_id) return { key_id: alert.key_id, from, to };
  if (alert.ip) return { ip: alert.ip, from, to };
  return { from, to };
}

/** One alert: a summary line that opens to its evidence, with acknowledge, resolve, dismiss and confirm. */
function AlertItem({
  alert,
  canChange,
  onChanged,
}: {
  alert: Alert;
  canChange: boolean;
  onChanged: (alert: Alert) => void;
}) {
  const closed = alert.status === 'resolved' || alert.status === 'dismissed' || alert.status === 'confirmed';
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function change(action: 'ack' | 'resolve') {
    setBusy(true);
    setError(null);
    try {
      const answer = await post<{ alert: Alert }>(`/api/alerts/${encodeURIComponent(alert.alert_id)}/${action}`, {});
      onChanged(answer.alert);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <li className={`alert severity-${alert.severity} status-${alert.status}`} data-alert-id={alert.alert_id}>
      <details>
        <summary>
          <span className={`badge severity-${alert.severity}`}>{alert.severity}</span>
          <span className="alert-type">{label(alert.type)}</span>
          <span className="alert-summary">{alert.summary}</span>
          <span className={`badge status status-${alert.status}`} data-testid="alert-status">
            {alert.status}
          </span>
          <time dateTime={alert.detected_at} title={utc(alert.detected_at)}>
            {ago(alert.detected_at)}
          </time>
        </summary>
        <div className="alert-body">
          <p className="meta">
            Detected {utc(alert.detected_at)} · evidence window {utc(alert.window_start)} – {utc(alert.window_end)}
            {alert.count > 1 ? ` · ${alert.count} occurrences` : ''}
            {alert.key_id && (
              <>
                {' · key '}
                <a href={href.key(alert.key_id)}>{alert.key_id}</a>
              </>
            )}
            {alert.ip ? ` · source ${alert.ip}` : ''}
            {alert.action !== 'none' ? ` · detector asked to ${label(alert.action)}` : ''}
          </p>
          {alert.status_actor && (
            <p className="meta">
              {alert.status} by {alert.status_actor} at {utc(alert.status_updated_at)}
            </p>
          )}
          <Evidence alert={alert} />
          <p>
            <a href={href.requests(requestsBehind(alert))}>The requests behind this alert</a>
          </p>
          {canChange && (
            <div className="actions">
              <button type="button" disabled={busy || alert.status !== 'open'} onClick={() => void change('ack')}>
                Acknowledge
              </button>
              <button type="button" disabled={busy || closed} onClick={() => void change('resolve')}>
                Resolve
              </button>
              <DismissAlert alert={alert} disabled={busy || closed} onChanged={onChanged} />
              <ConfirmAction
                label="Confirm compromise"
                danger
                disabled={busy || closed || !alert.key_id}
                title="Confirm this is a compromise?"
                consequence={
                  alert.key_id
                    ? `The alert is marked confirmed and ${alert.key_id} goes through the revocation path under the tenant's trigger policy (its mode, live-key rule and hourly cap).`
                    : 'The alert is marked confirmed.'
                }
                onConfirm={async () => {
                  const answer = await post<{ alert: Alert }>(
                    `/api/alerts/${encodeURIComponent(alert.alert_id)}/confirm`,
                    {},
                  );
                  onChanged(answer.alert);
                }}
              />
              {error && (
                <span className="error" role="alert">
                  {error}
                </span>
              )}
            </div>
          )}
        </div>
      </details>
    </li>
  );
}

export function AlertList({
  alerts,
  canChange,
  onChanged,
}: {
  alerts: Alert[];
  canChange: boolean;
  onChanged: (alert: Alert) => void;
}) {
  return (
    <ul className="alert-list">
      {alerts.map((a) => (
        <AlertItem key={a.alert_id} alert={a} canChange={canChange} onChanged={onChanged} />
      ))}
    </ul>
  );
}

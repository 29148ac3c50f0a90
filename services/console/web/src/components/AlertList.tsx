import { useState } from 'react';
import { ApiError, post, type Alert } from '../api';
import { ago, label, utc } from '../format';
import { href } from '../router';
import { Evidence } from './Evidence';

/** One alert: a summary line that opens to its evidence, with acknowledge and resolve. */
function AlertItem({ alert, onChanged }: { alert: Alert; onChanged: (alert: Alert) => void }) {
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
          <div className="actions">
            <button type="button" disabled={busy || alert.status !== 'open'} onClick={() => void change('ack')}>
              Acknowledge
            </button>
            <button type="button" disabled={busy || alert.status === 'resolved'} onClick={() => void change('resolve')}>
              Resolve
            </button>
            {error && (
              <span className="error" role="alert">
                {error}
              </span>
            )}
          </div>
        </div>
      </details>
    </li>
  );
}

export function AlertList({ alerts, onChanged }: { alerts: Alert[]; onChanged: (alert: Alert) => void }) {
  return (
    <ul className="alert-list">
      {alerts.map((a) => (
        <AlertItem key={a.alert_id} alert={a} onChanged={onChanged} />
      ))}
    </ul>
  );
}

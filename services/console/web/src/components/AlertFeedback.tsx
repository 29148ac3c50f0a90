import { useId, useRef, useState } from 'react';
import { ApiError, post, type Alert, type DismissReason, type SuppressionScope } from '../api';
import { DURATIONS } from '../format';

/**
 * "Dismiss": a verdict (false positive or expected) and, optionally, a suppression rule so the
 * detector stops raising the same thing for the key, the address or the whole tenant for a while.
 */
export function DismissAlert({
  alert,
  disabled,
  onChanged,
}: {
  alert: Alert;
  disabled: boolean;
  onChanged: (alert: Alert) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = `dismiss-${useId().replace(/:/g, '')}`;
  const [reason, setReason] = useState<DismissReason>('false_positive');
  const [suppress, setSuppress] = useState(false);
  const scopes: Array<[SuppressionScope, string]> = [
    ...(alert.key_id ? [['key', `this key (${alert.key_id})`] as [SuppressionScope, string]] : []),
    ...(alert.ip ? [['ip', `this address (${alert.ip})`] as [SuppressionScope, string]] : []),
    ['tenant', 'the whole tenant'],
  ];
  const [scope, setScope] = useState<SuppressionScope>(scopes[0]![0]);
  const [forS, setForS] = useState(DURATIONS[1]![0]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const answer = await post<{ alert: Alert }>(`/api/alerts/${encodeURIComponent(alert.alert_id)}/dismiss`, {
        reason,
        ...(suppress ? { suppress: { scope, for_s: forS } } : {}),
      });
      dialog.current?.close();
      onChanged(answer.alert);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" disabled={disabled} onClick={() => dialog.current?.showModal()}>
        Dismiss
      </button>
      <dialog ref={dialog} aria-labelledby={`${id}-title`}>
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <h2 id={`${id}-title`}>Dismiss this alert?</h2>
          <fieldset>
            <legend>Why</legend>
            <label className="inline">
              <input
                type="radio"
                name={`${id}-reason`}
                checked={reason === 'false_positive'}
                onChange={() => setReason('false_positive')}
              />
              False positive: nothing like this happened
            </label>
            <label className="inline">
              <input
                type="radio"
                name={`${id}-reason`}
                checked={reason === 'expected'}
                onChange={() => setReason('expected')}
              />
              Expected: it happened, and it is fine (travel, a new office, a test)
            </label>
          </fieldset>
          <label className="inline" htmlFor={`${id}-suppress`}>
            <input
              id={`${id}-suppress`}
              type="checkbox"
              checked={suppress}
              onChange={(e) => setSuppress(e.target.checked)}
            />
            Suppress alerts of this type
          </label>
          {suppress && (
            <>
              <label htmlFor={`${id}-scope`}>
                for
                <select id={`${id}-scope`} value={scope} onChange={(e) => setScope(e.target.value as SuppressionScope)}>
                  {scopes.map(([value, text]) => (
                    <option key={value} value={value}>
                      {text}
                    </option>
                  ))}
                </select>
              </label>
              <label htmlFor={`${id}-for`}>
                during
                <select id={`${id}-for`} value={forS} onChange={(e) => setForS(Number(e.target.value))}>
                  {DURATIONS.map(([s, text]) => (
                    <option key={s} value={s}>
                      {text}
                    </option>
                  ))}
                </select>
              </label>
            </>
          )}
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <div className="actions">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Working…' : 'Yes, dismiss'}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

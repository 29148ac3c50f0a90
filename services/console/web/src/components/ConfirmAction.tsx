import { useId, useRef, useState } from 'react';

/**
 * A button that asks first: a modal dialog (Escape cancels, focus stays inside) naming what will
 * happen, with an optional reason.
 */
export function ConfirmAction({
  label,
  title,
  consequence,
  danger,
  withReason,
  disabled,
  onConfirm,
}: {
  label: string;
  title: string;
  consequence: string;
  danger?: boolean;
  withReason?: boolean;
  disabled?: boolean;
  onConfirm: (reason: string) => Promise<void>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // useId: several of these on one page (a row each) must not share element ids.
  const id = `confirm-${useId().replace(/:/g, '')}`;
  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm(reason.trim());
      dialog.current?.close();
      setReason('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button
        type="button"
        className={danger ? 'danger' : ''}
        disabled={disabled}
        onClick={() => dialog.current?.showModal()}
      >
        {label}
      </button>
      <dialog ref={dialog} aria-labelledby={`${id}-title`}>
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void confirm();
          }}
        >
          <h2 id={`${id}-title`}>{title}</h2>
          <p>{consequence}</p>
          {withReason && (
            <label htmlFor={`${id}-reason`}>
              Reason (kept in the audit log)
              <input id={`${id}-reason`} value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
            </label>
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
            <button type="submit" className={danger ? 'danger' : 'primary'} disabled={busy}>
              {busy ? 'Working…' : `Yes, ${label.toLowerCase()}`}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

import { useState } from 'react';
import { ApiError, put, type SessionInfo, type TriggerPolicy } from '../api';
import { NeedsScope, Show } from '../components/States';
import { useApi } from '../useApi';

const MODES: Array<[TriggerPolicy['mode'], string]> = [
  ['notify_only', 'notify only (default): the trigger is recorded in the audit log, people act'],
  ['suspend', 'suspend: the key stops working until someone reactivates it'],
  ['revoke', 'revoke when the detector asks to revoke (suspend otherwise)'],
];

function PolicyForm({ policy, onSaved }: { policy: TriggerPolicy; onSaved: (policy: TriggerPolicy) => void }) {
  const [mode, setMode] = useState(policy.mode);
  const [allowLive, setAllowLive] = useState(policy.allow_live_revoke);
  const [cap, setCap] = useState(String(policy.max_actions_per_hour));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  async function save() {
    setBusy(true);
    setMessage(null);
    try {
      const answer = await put<{ policy: TriggerPolicy }>('/api/policy', {
        mode,
        allow_live_revoke: allowLive,
        max_actions_per_hour: Number(cap),
      });
      onSaved(answer.policy);
      setMessage({ ok: true, text: 'Saved.' });
    } catch (e) {
      setMessage({ ok: false, text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      className="panel stacked"
      aria-label="Trigger policy"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <fieldset>
        <legend>What the detector&apos;s revocation triggers do to this tenant&apos;s keys</legend>
        {MODES.map(([value, text]) => (
          <label key={value} className="inline">
            <input type="radio" name="mode" value={value} checked={mode === value} onChange={() => setMode(value)} />
            {text}
          </label>
        ))}
      </fieldset>
      <label className="inline" htmlFor="policy-live">
        <input id="policy-live" type="checkbox" checked={allowLive} onChange={(e) => setAllowLive(e.target.checked)} />
        Allow automatic revocation of live keys (off: live keys are suspended instead)
      </label>
      <label htmlFor="policy-cap">
        Cap: automatic actions per hour for this tenant (beyond it, triggers are refused and audited)
        <input
          id="policy-cap"
          type="number"
          min={0}
          max={10_000}
          required
          value={cap}
          onChange={(e) => setCap(e.target.value)}
        />
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save policy'}
        </button>
        {message && (
          <span className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </span>
        )}
      </div>
    </form>
  );
}

export function Policy({ session }: { session: SessionInfo }) {
  const loaded = useApi<{ policy: TriggerPolicy }>(session.capabilities.manage ? '/api/policy' : null);
  return (
    <section aria-labelledby="policy-title">
      <header className="page-header">
        <h1 id="policy-title">Trigger policy</h1>
      </header>
      {session.capabilities.manage ? (
        <Show loaded={loaded} what="the policy" retry={loaded.reload}>
          {({ policy }) => <PolicyForm policy={policy} onSaved={() => loaded.reload()} />}
        </Show>
      ) : (
        <NeedsScope scope="keys:manage" what="The trigger policy" />
      )}
    </section>
  );
}

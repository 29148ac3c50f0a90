import { useState } from 'react';
import { ApiError, request, type SessionInfo } from '../api';

/**
 * Sign-in: the key goes to the console server once, which keeps it and answers with an HTTP-only
 * session cookie. The field is cleared whatever the answer; the key is never stored in the browser.
 */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (session: SessionInfo) => void; notice?: string }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit() {
    setBusy(true);
    setError(null);
    const typed = key;
    setKey('');
    try {
      const answer = await request<{ session: SessionInfo }>('POST', '/session', { key: typed });
      onSignedIn(answer.session);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <main className="sign-in">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
        aria-labelledby="sign-in-title"
      >
        <h1 id="sign-in-title">Keywatch console</h1>
        <p>
          Sign in with a secret key of your tenant that holds analytics:read and/or audit:read (keys:manage adds rotate,
          deactivate and revoke).
        </p>
        {notice && <p className="meta">{notice}</p>}
        <label htmlFor="secret-key">Secret key</label>
        <input
          id="secret-key"
          name="secret-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="sk_live_…"
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <p className="meta">
          The key stays on the console server for this session (30 minutes without activity). It is never stored in this
          browser.
        </p>
      </form>
    </main>
  );
}

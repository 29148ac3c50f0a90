import { useState } from 'react';

/** A new secret, shown once: copy it now, it cannot be shown again. */
export function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  return (
    <div className="secret-once" role="alert">
      <h2>New secret — shown once</h2>
      <p>
        Copy it now and store it where your service reads its secrets. Keywatch keeps only a hash; nobody can show it
        again.
      </p>
      <code className="secret" data-testid="new-secret">
        {secret}
      </code>
      <div className="actions">
        <button
          type="button"
          className="primary"
          onClick={() =>
            void navigator.clipboard.writeText(secret).then(
              () => setCopied('yes'),
              () => setCopied('failed'),
            )
          }
        >
          {copied === 'yes' ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone}>
          I stored it; hide it
        </button>
        {copied === 'failed' && (
          <span className="error">The browser refused the clipboard; select the text and copy it.</span>
        )}
      </div>
    </div>
  );
}

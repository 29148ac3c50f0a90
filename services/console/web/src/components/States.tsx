import type { ReactNode } from 'react';
import type { ApiError } from '../api';
import type { Loaded } from '../useApi';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function Failed({ error, what, retry }: { error: ApiError; what: string; retry?: () => void }) {
  return (
    <div className="state failed" role="alert">
      <p>
        Could not load {what}: {error.message}
        {error.status ? ` (HTTP ${error.status})` : ''}
      </p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Loading and error states for one resource; `children` renders the data. */
export function Show<T>({
  loaded,
  what,
  children,
  retry,
}: {
  loaded: Loaded<T>;
  what: string;
  children: (data: T) => ReactNode;
  retry?: () => void;
}) {
  if (loaded.state === 'loading') return <Loading what={what} />;
  if (loaded.state === 'error') return <Failed error={loaded.error} what={what} retry={retry} />;
  return <>{children(loaded.data)}</>;
}

/** What a signed-in key cannot see, said plainly instead of an error. */
export function NeedsScope({ scope, what }: { scope: string; what: string }) {
  return (
    <p className="state empty">
      {what} needs a key with {scope}.
    </p>
  );
}

import { useEffect, useState } from 'react';
import { ApiError, get, request, whenSignedOut, type SessionInfo } from './api';
import { Loading } from './components/States';
import { Alerts } from './pages/Alerts';
import { Audit } from './pages/Audit';
import { KeyPage } from './pages/KeyPage';
import { Keys } from './pages/Keys';
import { Overview } from './pages/Overview';
import { Policy } from './pages/Policy';
import { Requests } from './pages/Requests';
import { SignIn } from './pages/SignIn';
import { Suppressions } from './pages/Suppressions';
import { Webhooks } from './pages/Webhooks';
import { href, useRoute, type Route } from './router';

type Auth =
  { state: 'checking' } | { state: 'signed-out'; notice?: string } | { state: 'signed-in'; session: SessionInfo };

function Page({ route, session }: { route: Route; session: SessionInfo }) {
  switch (route.page) {
    case 'keys':
      // Not re-mounted when only the search text changes: it is typed here, and the URL just follows it.
      return (
        <Keys
          key={`${route.filters.status ?? ''}|${route.filters.environment ?? ''}`}
          session={session}
          filters={route.filters}
        />
      );
    case 'key':
      return <KeyPage key={route.id} session={session} id={route.id} />;
    case 'requests':
      return <Requests key={JSON.stringify(route.filters)} session={session} filters={route.filters} />;
    case 'suppressions':
      return <Suppressions session={session} />;
    case 'webhooks':
      return <Webhooks session={session} />;
    case 'policy':
      return <Policy session={session} />;
    case 'alerts':
      return <Alerts session={session} keyId={route.keyId} severity={route.severity} />;
    case 'audit':
      return <Audit key={route.keyId ?? ''} session={session} keyId={route.keyId} />;
    default:
      return <Overview session={session} />;
  }
}

export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const route = useRoute();
  useEffect(() => {
    whenSignedOut(() =>
      setAuth({
        state: 'signed-out',
        notice: 'Your session ended (timed out, or the key stopped working). Sign in again.',
      }),
    );
    get<{ session: SessionInfo | null }>('/session').then(
      (answer) => setAuth(answer.session ? { state: 'signed-in', session: answer.session } : { state: 'signed-out' }),
      (error: unknown) =>
        setAuth({
          state: 'signed-out',
          notice: error instanceof ApiError && error.status !== 401 ? error.message : undefined,
        }),
    );
  }, []);

  if (auth.state === 'checking') return <Loading what="your session" />;
  if (auth.state === 'signed-out')
    return <SignIn notice={auth.notice} onSignedIn={(session) => setAuth({ state: 'signed-in', session })} />;

  const signOut = async () => {
    await request('DELETE', '/session').catch(() => undefined);
    setAuth({ state: 'signed-out', notice: 'Signed out.' });
  };
  const current = route.page === 'key' ? 'keys' : route.page;
  const nav: Array<[Route['page'], string, string]> = [
    ['overview', 'Overview', href.overview()],
    ['keys', 'Keys', href.keys()],
    ['alerts', 'Alerts', href.alerts()],
    ['requests', 'Requests', href.requests()],
    ['suppressions', 'Suppressions', href.suppressions()],
    ['webhooks', 'Webhooks', href.webhooks()],
    ['policy', 'Policy', href.policy()],
    ['audit', 'Audit log', href.audit()],
  ];
  return (
    <>
      <button type="button" className="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header className="top">
        <span className="brand">Keywatch</span>
        <nav aria-label="Main">
          {nav.map(([page, text, link]) => (
            <a key={page} href={link} aria-current={current === page ? 'page' : undefined}>
              {text}
            </a>
          ))}
        </nav>
        <span className="who">
          {auth.session.tenant_id ?? 'tenant unknown'} · times in UTC
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} session={auth.session} />
      </main>
    </>
  );
}

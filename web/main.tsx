import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LocationProvider, Router, Route, useLocation, lazy } from 'preact-iso';
import './style.css';
import { call, configure } from './api';
import { Problem, asProblem, Field } from './ui';
import type { ApiError } from './api';
import { Today } from './pages/today';

/** The signed-in user as the server tells it (`GET /api/me`). */
export type { Me } from '../src/studio/contract';
import type { Me } from '../src/studio/contract';

const Calls = lazy(() => import('./pages/calls').then((m) => m.Calls));
const Assistant = lazy(() => import('./pages/assistant').then((m) => m.Assistant));
const Metrics = lazy(() => import('./pages/metrics').then((m) => m.Metrics));
const Doctors = lazy(() => import('./pages/doctors').then((m) => m.Doctors));
const Outbox = lazy(() => import('./pages/outbox').then((m) => m.Outbox));

const NAV = [
  { href: '/today', label: 'Today' },
  { href: '/calls', label: 'Calls' },
  { href: '/assistant', label: 'Assistant', admin: true },
  { href: '/metrics', label: 'Metrics' },
  { href: '/doctors', label: 'Doctors' },
  { href: '/outbox', label: 'Outbox' },
];

function SignIn({ onIn }: { onIn: (me: Me) => void }) {
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      const r = await call('POST /api/session', {
        body: { username: String(form.get('username') ?? ''), password: String(form.get('password') ?? '') },
      });
      onIn(r.data);
    } catch (err) {
      setError(asProblem(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="container narrow" id="main">
      <h1>receptionist studio</h1>
      <p>
        Sign in with your <code>receptionist users</code> account.
      </p>
      <form onSubmit={submit}>
        <Field label="Username">
          <input name="username" autocomplete="username" required autofocus />
        </Field>
        <Field label="Password">
          <input name="password" type="password" autocomplete="current-password" required />
        </Field>
        <Problem error={error} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function Shell({ me, onOut }: { me: Me; onOut: () => void }) {
  const { path } = useLocation();
  const signOut = async () => {
    await call('DELETE /api/session').catch(() => undefined);
    onOut();
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="container-fluid top">
        <nav aria-label="Studio">
          <ul>
            <li>
              <strong>receptionist studio</strong>
            </li>
          </ul>
          <ul class="pages">
            {NAV.filter((n) => !n.admin || me.role === 'admin').map((n) => (
              <li>
                <a
                  href={n.href}
                  aria-current={path.startsWith(n.href) || (path === '/' && n.href === '/today') ? 'page' : undefined}
                >
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
          <ul>
            <li>
              <span class="who">
                {me.username} ({me.role})
              </span>
            </li>
            <li>
              <button type="button" class="secondary outline small" onClick={signOut}>
                Sign out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main class="container-fluid" id="main">
        <Router>
          <Route path="/" component={() => <Today me={me} />} />
          <Route path="/today" component={() => <Today me={me} />} />
          <Route path="/calls" component={() => <Calls me={me} />} />
          <Route path="/calls/:id" component={({ id }: { id: string }) => <Calls me={me} callId={id} />} />
          <Route path="/assistant" component={() => <Assistant me={me} />} />
          <Route path="/metrics" component={() => <Metrics />} />
          <Route path="/doctors" component={() => <Doctors />} />
          <Route path="/outbox" component={() => <Outbox />} />
          <Route default component={() => <p>No such page.</p>} />
        </Router>
      </main>
    </>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const signIn = (m: Me) => {
    configure(m.csrfToken, () => setMe(null));
    setMe(m);
  };
  useEffect(() => {
    call('GET /api/me').then(
      (r) => signIn(r.data),
      () => setMe(null),
    );
  }, []);
  if (me === undefined) return <p class="boot">Loading the studio…</p>;
  if (me === null) return <SignIn onIn={signIn} />;
  return (
    <LocationProvider>
      <Shell me={me} onOut={() => setMe(null)} />
    </LocationProvider>
  );
}

render(<App />, document.getElementById('app')!);

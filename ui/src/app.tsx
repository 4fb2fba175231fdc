// The dashboard shell: the login gate, the navigation, the namespace in view, and the pages.
import { useEffect, useState } from 'react';
import { currentSession, logout, messageOf, uiSettings, type Session, type UiSettings } from './api.js';
import { ErrorLine } from './components.js';
import { href, useRoute } from './route.js';
import { LoginPage } from './pages/login.js';
import { FunctionsPage } from './pages/functions.js';
import { InvocationsPage } from './pages/invocations.js';
import { DeadLettersPage } from './pages/dead-letters.js';
import { ChainsPage } from './pages/chains.js';
import { KeysPage, SecretsPage } from './pages/access.js';
import { SchedulesPage } from './pages/schedules.js';
import { MetricsPage } from './pages/metrics.js';
import { RunningPage } from './pages/live-logs.js';
import type { PageProps } from './page-props.js';

const TABS = [
  ['functions', 'Functions'], ['invocations', 'Invocations'], ['dead-letters', 'Dead letters'], ['chains', 'Chains'],
  ['secrets', 'Secrets'], ['keys', 'Keys'], ['schedules', 'Schedules'], ['metrics', 'Metrics'], ['logs', 'Live logs'],
] as const;

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<string>();
  useEffect(() => {
    currentSession().then(setSession, (err: unknown) => setError(messageOf(err)));
  }, []);
  if (error) return <main className="login"><ErrorLine error={error} /></main>;
  if (session === undefined) return <main className="login"><p className="muted">Loading…</p></main>;
  if (session === null) return <LoginPage onLogin={setSession} />;
  return <Shell session={session} onLogout={() => void logout().then(() => setSession(null))} />;
}

function Shell({ session, onLogout }: { session: Session; onLogout(): void }) {
  const { parts: [tab = 'functions', ...args], query } = useRoute();
  const [namespace, setNamespace] = useState(session.namespace === '*' ? 'default' : session.namespace);
  const [settings, setSettings] = useState<UiSettings>();
  useEffect(() => {
    uiSettings().then(setSettings, () => setSettings(undefined));
  }, []);
  const props: PageProps = { namespace, session, settings, args, query };
  return (
    <div className="shell">
      <header className="top">
        <strong className="brand">Caisson</strong>
        <nav>
          {TABS.map(([id, label]) => <a key={id} href={href(id)} className={tab === id ? 'active' : ''}>{label}</a>)}
        </nav>
        <div className="who">
          <label>
            Namespace{' '}
            {session.namespace === '*'
              ? <input aria-label="namespace" value={namespace} onChange={(e) => setNamespace(e.target.value.trim())} size={12} />
              : <code>{namespace}</code>}
          </label>
          <span className="muted" title={`role ${session.role}`}>{session.name} ({session.role})</span>
          <button type="button" onClick={onLogout}>Log out</button>
        </div>
      </header>
      <main className="page"><Page tab={tab} props={props} /></main>
    </div>
  );
}

function Page({ tab, props }: { tab: string; props: PageProps }) {
  switch (tab) {
    case 'functions': return <FunctionsPage {...props} />;
    case 'invocations': return <InvocationsPage {...props} />;
    case 'dead-letters': return <DeadLettersPage {...props} />;
    case 'chains': return <ChainsPage {...props} />;
    case 'secrets': return <SecretsPage {...props} />;
    case 'keys': return <KeysPage {...props} />;
    case 'schedules': return <SchedulesPage {...props} />;
    case 'metrics': return <MetricsPage {...props} />;
    case 'logs': return <RunningPage {...props} />;
    default: return <p>No page {tab}. <a href={href('functions')}>Functions</a></p>;
  }
}

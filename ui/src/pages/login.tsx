// Log in with an api key: the api answers a session cookie the script never sees.
import { useState, type FormEvent } from 'react';
import { login, messageOf, type Session } from '../api.js';
import { ErrorLine } from '../components.js';

export function LoginPage({ onLogin }: { onLogin(session: Session): void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    login(key.trim()).then(onLogin, (err: unknown) => setError(messageOf(err))).finally(() => setBusy(false));
  };
  return (
    <main className="login">
      <form className="card" onSubmit={submit}>
        <h1>Caisson</h1>
        <p className="muted">Log in with an api key (<code>caisson key create</code>, or <code>$CAISSON_HOME/admin.key</code>).</p>
        <label>
          Api key
          <input name="key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} placeholder="csk_…" required />
        </label>
        <button type="submit" disabled={busy}>Log in</button>
        <ErrorLine error={error} />
      </form>
    </main>
  );
}

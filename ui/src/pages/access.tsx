// Keys (admins: names, namespaces, roles, expiry, revocation state; never a key) and the
// namespace's secrets (names, sizes and dates only: no api answers a value).
import { api } from '../api.js';
import type { PageProps } from '../page-props.js';
import { ErrorLine, Loading, Section, Time, bytes } from '../components.js';
import { useLoad } from '../use-load.js';

export function KeysPage({ session }: PageProps) {
  const admin = session.role === 'admin';
  const keys = useLoad(() => (admin ? api.keys.list.query() : Promise.resolve([])), [admin]);
  if (!admin) return <Section title="Keys"><p className="muted">Only an admin key lists keys.</p></Section>;
  return (
    <Section title="Keys" actions={<button type="button" onClick={keys.reload}>Refresh</button>}>
      <Loading when={keys.loading && !keys.data} />
      <ErrorLine error={keys.error} />
      {keys.data && (
        <table>
          <thead><tr><th>Name</th><th>Id</th><th>Namespace</th><th>Role</th><th>Created</th><th>Expires</th><th>Revoked</th></tr></thead>
          <tbody>{keys.data.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td><td><code>{k.id}</code></td><td>{k.namespace}</td><td>{k.role}</td>
              <td><Time iso={k.createdAt} /></td><td><Time iso={k.expiresAt} /></td><td><Time iso={k.revokedAt} /></td>
            </tr>
          ))}</tbody>
        </table>
      )}
    </Section>
  );
}

export function SecretsPage({ namespace }: PageProps) {
  const secrets = useLoad(() => api.secrets.list.query({ namespace }), [namespace]);
  return (
    <Section title="Secrets (names only)" actions={<button type="button" onClick={secrets.reload}>Refresh</button>}>
      <Loading when={secrets.loading && !secrets.data} />
      <ErrorLine error={secrets.error} />
      {secrets.data && (secrets.data.length === 0 ? <p className="muted">No secrets in {namespace}.</p> : (
        <table>
          <thead><tr><th>Name</th><th>Size</th><th>Created</th></tr></thead>
          <tbody>{secrets.data.map((s) => (
            <tr key={s.name}><td><code>{s.name}</code></td><td>{bytes(s.sizeBytes)}</td><td><Time iso={s.createdAt} /></td></tr>
          ))}</tbody>
        </table>
      ))}
    </Section>
  );
}

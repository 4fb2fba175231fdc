// Functions of the namespace, and one function: its versions (settings, deploy history, code
// size, runtime) and a form to invoke it.
import { useState, type FormEvent } from 'react';
import { api, messageOf, type Outputs } from '../api.js';
import type { PageProps } from '../page-props.js';
import { ErrorLine, Json, Loading, Section, Status, Time, bytes, ms } from '../components.js';
import { href } from '../route.js';
import { useLoad } from '../use-load.js';

export function FunctionsPage(props: PageProps) {
  const name = props.args[0];
  return name ? <FunctionDetail {...props} name={name} /> : <FunctionList {...props} />;
}

function FunctionList({ namespace }: PageProps) {
  const list = useLoad(() => api.functions.list.query({ namespace, limit: 200 }), [namespace]);
  return (
    <Section title="Functions" actions={<button type="button" onClick={list.reload}>Refresh</button>}>
      <Loading when={list.loading && !list.data} />
      <ErrorLine error={list.error} />
      {list.data && (list.data.items.length === 0 ? <p className="muted">No functions in {namespace}: <code>caisson fn deploy</code> makes one.</p> : (
        <table>
          <thead><tr><th>Name</th><th>Runtime</th><th>Latest version</th><th>Created</th><th>Updated</th></tr></thead>
          <tbody>
            {list.data.items.map((f) => (
              <tr key={f.id}>
                <td><a href={href('functions', f.name)}>{f.name}</a></td>
                <td>{f.runtime}</td><td>v{f.latestVersion}</td><td><Time iso={f.createdAt} /></td><td><Time iso={f.updatedAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </Section>
  );
}

type Version = Outputs['functions']['versions'][number];

function FunctionDetail({ namespace, name }: PageProps & { name: string }) {
  const fn = useLoad(() => api.functions.get.query({ namespace, name }), [namespace, name]);
  const versions = useLoad(() => api.functions.versions.query({ namespace, name }), [namespace, name]);
  return (
    <>
      <p><a href={href('functions')}>← Functions</a></p>
      <Section title={`Function ${name}`} actions={<a href={`${href('invocations')}?function=${encodeURIComponent(name)}`}>Invocations</a>}>
        <Loading when={fn.loading && !fn.data} />
        <ErrorLine error={fn.error} />
        {fn.data === null && <p>No function {name} in {namespace}.</p>}
        {fn.data && (
          <dl className="facts">
            <dt>Runtime</dt><dd>{fn.data.runtime}</dd>
            <dt>Latest version</dt><dd>v{fn.data.latestVersion}</dd>
            <dt>Secrets</dt><dd>{fn.data.secrets.length ? fn.data.secrets.map((s) => s.name).join(', ') : '—'}</dd>
            <dt>Created</dt><dd><Time iso={fn.data.createdAt} /></dd>
          </dl>
        )}
      </Section>
      {fn.data && <InvokeForm namespace={namespace} name={name} />}
      <Section title="Versions (deploy history)">
        <ErrorLine error={versions.error} />
        {versions.data && (
          <table>
            <thead><tr><th>Version</th><th>Deployed</th><th>Runtime</th><th>Convention / entry</th><th>Code</th><th>Limits</th><th>Warm</th><th>Retry</th><th>Env</th></tr></thead>
            <tbody>{[...versions.data].reverse().map((v) => <VersionRow key={v.version} v={v} />)}</tbody>
          </table>
        )}
      </Section>
    </>
  );
}

function VersionRow({ v }: { v: Version }) {
  const env = Object.entries(v.env);
  return (
    <tr>
      <td>v{v.version}</td>
      <td><Time iso={v.createdAt} /></td>
      <td>{v.runtime}</td>
      <td>{v.convention} <code>{v.entry}</code></td>
      <td title={v.artifact.sha256}>{bytes(v.artifact.sizeBytes)} {v.artifact.format}</td>
      <td>{v.limits.memoryMb} MB, {v.limits.cpus} CPU, {ms(v.limits.timeoutMs)}</td>
      <td>{v.warm ? `${v.warm.isolation}` : 'default'}</td>
      <td>{v.retryPolicy.maxAttempts} attempts{v.retryPolicySet ? '' : ' (default)'}</td>
      <td>{env.length === 0 ? '—' : env.map(([k, val]) => <div key={k}><code>{k}</code>{v.envRedacted ? '' : <>=<code>{val}</code></>}</div>)}</td>
    </tr>
  );
}

function InvokeForm({ namespace, name }: { namespace: string; name: string }) {
  const [payload, setPayload] = useState('{}');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<Outputs['invocations']['invoke']>();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return setError('payload: not JSON');
    }
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    api.invocations.invoke.mutate({ namespace, function: name, payload: parsed })
      .then(setResult, (err: unknown) => setError(messageOf(err))).finally(() => setBusy(false));
  };
  return (
    <Section title="Invoke">
      <form onSubmit={submit} className="invoke">
        <label>Payload (JSON)<textarea name="payload" rows={4} value={payload} onChange={(e) => setPayload(e.target.value)} /></label>
        <button type="submit" disabled={busy}>{busy ? 'Invoking…' : 'Invoke'}</button>
      </form>
      <ErrorLine error={error} />
      {result && (
        <div className="invoke-result" data-testid="invoke-result">
          <p><Status value={result.status} /> <a href={href('invocations', result.id)}>{result.id}</a> {'cold' in result && result.cold !== null ? (result.cold ? 'cold' : 'warm') : ''}</p>
          {'result' in result && result.result !== undefined && <Json value={result.result} label="result" />}
          {'error' in result && result.error && <p className="error">{result.error.kind}: {result.error.message}</p>}
        </div>
      )}
    </Section>
  );
}

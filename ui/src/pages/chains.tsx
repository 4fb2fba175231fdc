// Chains of the namespace, one chain's definition as a step tree and its recent invocations;
// StepTree also draws a chain invocation's steps with their status (invocations page).
import { api, type Outputs } from '../api.js';
import type { PageProps } from '../page-props.js';
import { ErrorLine, Loading, Section, Status, Time, ms } from '../components.js';
import { href } from '../route.js';
import { useLoad } from '../use-load.js';

export function ChainsPage(props: PageProps) {
  const name = props.args[0];
  return name ? <ChainDetail {...props} name={name} /> : <ChainList {...props} />;
}

function ChainList({ namespace }: PageProps) {
  const list = useLoad(() => api.chains.list.query({ namespace, limit: 200 }), [namespace]);
  return (
    <Section title="Chains" actions={<button type="button" onClick={list.reload}>Refresh</button>}>
      <Loading when={list.loading && !list.data} />
      <ErrorLine error={list.error} />
      {list.data && (list.data.items.length === 0 ? <p className="muted">No chains in {namespace}.</p> : (
        <table>
          <thead><tr><th>Name</th><th>Latest version</th><th>Updated</th></tr></thead>
          <tbody>{list.data.items.map((c) => (
            <tr key={c.name}><td><a href={href('chains', c.name)}>{c.name}</a></td><td>v{c.latestVersion}</td><td><Time iso={c.updatedAt} /></td></tr>
          ))}</tbody>
        </table>
      ))}
    </Section>
  );
}

type Definition = Outputs['chains']['get']['definition'];

function ChainDetail({ namespace, name }: PageProps & { name: string }) {
  const chain = useLoad(() => api.chains.get.query({ namespace, name }), [namespace, name]);
  const runs = useLoad(() => api.chains.invocations.query({ namespace, name, limit: 50 }), [namespace, name]);
  return (
    <>
      <p><a href={href('chains')}>← Chains</a></p>
      <Section title={`Chain ${name}${chain.data ? ` v${chain.data.version}` : ''}`}>
        <Loading when={chain.loading && !chain.data} />
        <ErrorLine error={chain.error} />
        {chain.data && <DefinitionTree definition={chain.data.definition} />}
      </Section>
      <Section title="Invocations">
        <ErrorLine error={runs.error} />
        {runs.data && (runs.data.length === 0 ? <p className="muted">None yet.</p> : (
          <table>
            <thead><tr><th>Id</th><th>Status</th><th>Failed step</th><th>Duration</th><th>Accepted</th></tr></thead>
            <tbody>{runs.data.map((r) => (
              <tr key={r.id}>
                <td><a href={href('invocations', r.id)}><code>{r.id}</code></a></td><td><Status value={r.status} /></td>
                <td>{r.failedStep ?? ''}</td><td>{ms(r.durationMs)}</td><td><Time iso={r.createdAt} /></td>
              </tr>
            ))}</tbody>
          </table>
        ))}
      </Section>
    </>
  );
}

/** The definition's steps in order, each with the function(s) it calls. */
function DefinitionTree({ definition }: { definition: Definition }) {
  return (
    <ol className="tree" data-testid="chain-tree">
      {definition.steps.map((step) => (
        <li key={step.name}>
          <strong>{step.name}</strong> <span className="muted">{step.type}</span>
          {step.type === 'function' && <> → <code>{refName(step.function)}</code></>}
          {step.type === 'map' && <> → each item → <code>{refName(step.map.function)}</code></>}
          {step.type === 'parallel' && (
            <ul>{Object.entries(step.parallel).map(([branch, call]) => <li key={branch}>{branch} → <code>{refName(call.function)}</code></li>)}</ul>
          )}
        </li>
      ))}
    </ol>
  );
}

function refName(ref: unknown): string {
  if (typeof ref === 'string') return ref;
  if (ref && typeof ref === 'object' && 'name' in ref) {
    const r = ref as { name: string; version?: unknown };
    return r.version === undefined ? r.name : `${r.name}@${String(r.version)}`;
  }
  return JSON.stringify(ref);
}

export type ChainSteps = Outputs['chains']['invocation']['chain']['steps'];

/** A chain invocation's steps with status, timings and each unit's own invocation. */
export function StepTree({ steps }: { steps: ChainSteps }) {
  return (
    <ol className="tree" data-testid="step-tree">
      {steps.map((s) => (
        <li key={s.name}>
          <strong>{s.name}</strong> <Status value={s.status} /> <span className="muted">{s.type} · {ms(s.durationMs)}</span>
          {s.error && <span className="error"> {s.error.kind}: {s.error.message}</span>}
          {s.units.length > 0 && (
            <ul>{s.units.map((u) => (
              <li key={u.unit}>{u.unit} <Status value={u.status} /> <a href={href('invocations', u.invocationId)}><code>{u.invocationId}</code></a></li>
            ))}</ul>
          )}
        </li>
      ))}
    </ol>
  );
}

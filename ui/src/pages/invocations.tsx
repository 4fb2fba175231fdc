// Invocations of the namespace with filters (function, status, failure kind, cold/warm, time),
// and one invocation: attempts, timings, logs, error, result, and its workflow in Temporal's UI.
import { useEffect } from 'react';
import { api, type Inputs, type Outputs } from '../api.js';
import type { PageProps } from '../page-props.js';
import { ErrorLine, Json, Loading, Section, Status, Time, ms } from '../components.js';
import { href, setQuery } from '../route.js';
import { useLoad } from '../use-load.js';
import { StepTree, type ChainSteps } from './chains.js';
import { LiveLogs } from './live-logs.js';

type ListInput = Inputs['invocations']['list'];
// Checked against the api's input type: a value the api does not take fails the type check.
const STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const satisfies readonly NonNullable<ListInput['status']>[];
const KINDS = ['FunctionError', 'FunctionTimeout', 'FunctionOOM', 'InvalidOutput', 'InfrastructureError', 'Cancelled'] as const satisfies readonly NonNullable<ListInput['errorKind']>[];
const SINCE: Record<string, number> = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };

export function InvocationsPage(props: PageProps) {
  const id = props.args[0];
  return id ? <InvocationDetail {...props} id={id} /> : <InvocationList {...props} />;
}

function filtersOf(query: URLSearchParams, namespace: string): ListInput {
  const pick = <T extends string>(v: string | null, allowed: readonly T[]) => (allowed as readonly string[]).includes(v ?? '') ? (v as T) : undefined;
  const since = SINCE[query.get('since') ?? ''];
  const fn = query.get('function');
  return {
    namespace, limit: 100,
    ...(fn ? { function: fn } : {}),
    status: pick(query.get('status'), STATUSES),
    errorKind: pick(query.get('kind'), KINDS),
    cold: query.get('start') === 'cold' ? true : query.get('start') === 'warm' ? false : undefined,
    since: since ? new Date(Date.now() - since).toISOString() : undefined,
  };
}

function InvocationList({ namespace, query }: PageProps) {
  const key = query.toString();
  const list = useLoad(() => api.invocations.list.query(filtersOf(query, namespace)), [namespace, key]);
  const current = Object.fromEntries(query.entries());
  const set = (name: string, value: string) => setQuery({ ...current, [name]: value || undefined });
  return (
    <Section title="Invocations" actions={<button type="button" onClick={list.reload}>Refresh</button>}>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>Function <input name="function" defaultValue={current.function ?? ''} onBlur={(e) => set('function', e.target.value.trim())} size={14} /></label>
        <Select label="Status" name="status" value={current.status} options={STATUSES} onChange={set} />
        <Select label="Failure kind" name="kind" value={current.kind} options={KINDS} onChange={set} />
        <Select label="Start" name="start" value={current.start} options={['cold', 'warm']} onChange={set} />
        <Select label="Time" name="since" value={current.since} options={Object.keys(SINCE)} onChange={set} any="all time" />
      </form>
      <Loading when={list.loading && !list.data} />
      <ErrorLine error={list.error} />
      {list.data && (list.data.items.length === 0 ? <p className="muted">No invocations match.</p> : (
        <table>
          <thead><tr><th>Id</th><th>Function</th><th>Status</th><th>Failure</th><th>Start</th><th>Attempts</th><th>Duration</th><th>Accepted</th></tr></thead>
          <tbody>
            {list.data.items.map((i) => (
              <tr key={i.id}>
                <td><a href={href('invocations', i.id)}><code>{i.id}</code></a></td>
                <td><a href={href('functions', i.function)}>{i.function}</a> v{i.version}</td>
                <td><Status value={i.status} /></td>
                <td>{i.errorKind ?? ''}</td>
                <td>{i.cold === null ? '—' : i.cold ? 'cold' : 'warm'}</td>
                <td>{i.attempts}</td>
                <td>{ms(i.durationMs)}</td>
                <td><Time iso={i.createdAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </Section>
  );
}

function Select(props: { label: string; name: string; value: string | undefined; options: readonly string[]; onChange(name: string, value: string): void; any?: string }) {
  return (
    <label>
      {props.label}{' '}
      <select name={props.name} value={props.value ?? ''} onChange={(e) => props.onChange(props.name, e.target.value)}>
        <option value="">{props.any ?? 'any'}</option>
        {props.options.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
    </label>
  );
}

type Invocation = Outputs['invocations']['get'];
type Attempt = { attempt: number; startedAt: string; endedAt: string; durationMs: number; cold?: boolean; infrastructure?: boolean; failure?: { kind: string; message: string } };

function InvocationDetail({ id, settings }: PageProps & { id: string }) {
  const inv = useLoad(() => api.invocations.get.query({ id }), [id]);
  const v: Invocation | undefined = inv.data;
  // While it runs, read it again every second (a replay or a start lands here before it ends).
  const unfinished = v?.status === 'PENDING' || v?.status === 'RUNNING';
  const { reload } = inv;
  useEffect(() => {
    if (!unfinished) return;
    const timer = setTimeout(reload, 1000);
    return () => clearTimeout(timer);
  }, [unfinished, v, reload]);
  const temporal = settings?.temporalUiUrl
    ? `${settings.temporalUiUrl}/namespaces/${encodeURIComponent(settings.temporalNamespace)}/workflows/${encodeURIComponent(id)}`
    : undefined;
  return (
    <>
      <p><a href={href('invocations')}>← Invocations</a></p>
      <Section title={`Invocation ${id}`} actions={<span>
        <button type="button" onClick={inv.reload}>Refresh</button>{' '}
        {temporal && <a href={temporal} target="_blank" rel="noopener noreferrer" data-testid="temporal-link">Workflow in Temporal UI ↗</a>}
      </span>}>
        <Loading when={inv.loading && !v} />
        <ErrorLine error={inv.error} />
        {v && (
          <dl className="facts">
            <dt>Status</dt><dd><Status value={v.status} /></dd>
            {'chain' in v
              ? <><dt>Chain</dt><dd><a href={href('chains', v.function)}>{v.function}</a> v{v.version}</dd></>
              : <><dt>Function</dt><dd><a href={href('functions', v.function)}>{v.function}</a> v{v.version}</dd></>}
            <dt>Start</dt><dd>{v.cold === null ? '—' : v.cold ? 'cold' : 'warm'}</dd>
            <dt>Attempts</dt><dd>{v.attempts}</dd>
            <dt>Accepted</dt><dd><Time iso={v.createdAt} /></dd>
            <dt>Ended</dt><dd><Time iso={v.endedAt} /></dd>
            <dt>Duration</dt><dd>{ms(v.durationMs)}</dd>
            {v.caller && <><dt>Caller</dt><dd data-testid="caller">{v.caller.kind === 'key' ? `key ${v.caller.keyName} (${v.caller.keyId})` : 'anonymous'}{v.caller.address ? ` from ${v.caller.address}` : ''}</dd></>}
            {v.replayOf && <><dt>Replay of</dt><dd><a href={href('invocations', v.replayOf)}>{v.replayOf}</a></dd></>}
          </dl>
        )}
      </Section>
      {v?.error && (
        <Section title="Error">
          <p className="error"><strong>{v.error.kind}</strong>: {v.error.message}</p>
          {'stderrTail' in v.error && v.error.stderrTail && <pre className="log">{v.error.stderrTail}</pre>}
        </Section>
      )}
      {v && v.status === 'SUCCEEDED' && <Section title="Result"><Json value={v.result} label="result" /></Section>}
      {v && 'chain' in v && <Section title="Steps"><StepTree steps={(v.chain as { steps: ChainSteps }).steps} /></Section>}
      {v && v.attemptLog.length > 0 && !('chain' in v) && (
        <Section title="Attempts">
          <table>
            <thead><tr><th>#</th><th>Started</th><th>Duration</th><th>Start</th><th>Outcome</th></tr></thead>
            <tbody>
              {(v.attemptLog as Attempt[]).map((a, n) => (
                <tr key={n}>
                  <td>{a.attempt}{a.infrastructure ? ' (infrastructure)' : ''}</td>
                  <td><Time iso={a.startedAt} /></td>
                  <td>{ms(a.durationMs)}</td>
                  <td>{a.cold === undefined ? '—' : a.cold ? 'cold' : 'warm'}</td>
                  <td>{a.failure ? `${a.failure.kind}: ${a.failure.message}` : 'ok'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}
      {v && unfinished && <LiveLogs id={id} />}
      {v && !unfinished && (
        <Section title="Logs">
          <h3>stdout</h3><pre className="log" data-testid="stdout">{v.logs.stdout || '(empty)'}</pre>
          <h3>stderr</h3><pre className="log" data-testid="stderr">{v.logs.stderr || '(empty)'}</pre>
        </Section>
      )}
    </>
  );
}

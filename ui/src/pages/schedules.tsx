// The namespace's schedules: target, timing, next run times, paused or not, the latest fires
// (each linked to the invocation it admitted), and pause/resume/trigger for the roles that may.
import { useState } from 'react';
import { roleAllows } from '../../../src/shared/roles.js';
import { invocationIdForKey } from '../../../src/shared/ids.js';
import { api, messageOf, type Outputs } from '../api.js';
import type { PageProps } from '../page-props.js';
import { ErrorLine, Loading, Section, Time } from '../components.js';
import { href } from '../route.js';
import { useLoad } from '../use-load.js';

type Schedule = Outputs['schedules']['list'][number];
type Run = Schedule['recentRuns'][number];

export function SchedulesPage({ namespace, session }: PageProps) {
  const list = useLoad(() => api.schedules.list.query({ namespace }), [namespace]);
  const [error, setError] = useState<string>();
  const may = { deploy: roleAllows(session.role, 'deploy'), invoke: roleAllows(session.role, 'invoke') };
  const act = (op: () => Promise<unknown>) => {
    setError(undefined);
    op().then(list.reload, (err: unknown) => setError(messageOf(err)));
  };
  return (
    <Section title="Schedules" actions={<button type="button" onClick={list.reload}>Refresh</button>}>
      <Loading when={list.loading && !list.data} />
      <ErrorLine error={list.error ?? error} />
      {list.data && (list.data.length === 0 ? <p className="muted">No schedules in {namespace}.</p> : (
        <table>
          <thead><tr><th>Name</th><th>Target</th><th>Timing</th><th>Next runs</th><th>State</th><th>Latest fires</th><th /></tr></thead>
          <tbody>
            {list.data.map((s) => {
              const ref = { namespace, name: s.name };
              return (
                <tr key={s.name} data-testid={`schedule-${s.name}`}>
                  <td>{s.name}</td>
                  <td>{s.target.kind} <a href={href(s.target.kind === 'chain' ? 'chains' : 'functions', s.target.name)}>{s.target.name}</a>{s.target.version === 'latest' ? '' : ` v${s.target.version}`}</td>
                  <td><code>{s.cron ? `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}` : `every ${s.every ?? '?'}`}</code><br /><span className="muted">overlap {s.overlap}</span></td>
                  <td data-testid="next-runs">{s.nextRunTimes.length === 0 ? <span className="muted">none</span> : s.nextRunTimes.slice(0, 3).map((t) => <div key={t}><Time iso={t} /></div>)}</td>
                  <td data-testid="state">{s.paused ? 'paused' : 'active'}{s.note ? <div className="muted">{s.note}</div> : null}</td>
                  <td>{s.recentRuns.length === 0 ? <span className="muted">none yet</span> : s.recentRuns.slice(-3).reverse().map((r) => <FireLink key={r.fireId} namespace={namespace} run={r} />)}</td>
                  <td className="actions">
                    {may.deploy && (s.paused
                      ? <button type="button" onClick={() => act(() => api.schedules.resume.mutate(ref))}>Resume</button>
                      : <button type="button" onClick={() => act(() => api.schedules.pause.mutate(ref))}>Pause</button>)}
                    {may.invoke && <button type="button" onClick={() => act(() => api.schedules.trigger.mutate(ref))}>Trigger now</button>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ))}
    </Section>
  );
}

/** A fire's invocation id is derived from the fire's id (its idempotency key), as the api admits it. */
function FireLink({ namespace, run }: { namespace: string; run: Run }) {
  const id = useLoad(async () => (crypto.subtle ? invocationIdForKey(namespace, `schedule:${run.fireId}`) : undefined), [namespace, run.fireId]);
  return <div>{id.data ? <a href={href('invocations', id.data)}><Time iso={run.startedAt} /></a> : <Time iso={run.startedAt} />}</div>;
}

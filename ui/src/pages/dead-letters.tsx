// Dead letters of the namespace (invocations whose attempts ran out): their errors, and replay
// (a new invocation with the same input, of the same or the latest version).
import { useState } from 'react';
import { api, messageOf } from '../api.js';
import type { PageProps } from '../page-props.js';
import { ErrorLine, Loading, Section, Time } from '../components.js';
import { href } from '../route.js';
import { useLoad } from '../use-load.js';

export function DeadLettersPage({ namespace }: PageProps) {
  const list = useLoad(() => api.deadLetters.list.query({ namespace, limit: 100 }), [namespace]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const replay = (id: string, latest: boolean) => {
    setBusy(id);
    setError(undefined);
    api.deadLetters.replay.mutate({ id, latest })
      .then(() => list.reload(), (err: unknown) => setError(messageOf(err))).finally(() => setBusy(undefined));
  };
  return (
    <Section title="Dead letters" actions={<button type="button" onClick={list.reload}>Refresh</button>}>
      <Loading when={list.loading && !list.data} />
      <ErrorLine error={list.error ?? error} />
      {list.data && (list.data.items.length === 0 ? <p className="muted">No dead letters in {namespace}.</p> : (
        <table>
          <thead><tr><th>Invocation</th><th>Function</th><th>Last error</th><th>Failed</th><th>Replay</th></tr></thead>
          <tbody>{list.data.items.map((d) => {
            const errors = d.errors as { kind?: string; message?: string }[] | null;
            const last = Array.isArray(errors) ? errors[errors.length - 1] : undefined;
            return (
              <tr key={d.id} data-dead-letter={d.id}>
                <td><a href={href('invocations', d.invocationId)}><code>{d.invocationId}</code></a></td>
                <td><a href={href('functions', d.functionName)}>{d.functionName}</a> v{d.version}</td>
                <td>{last ? `${last.kind ?? ''}: ${last.message ?? ''}` : ''}</td>
                <td><Time iso={d.failedAt} /></td>
                <td>{d.replayedAs
                  ? <>replayed as <a href={href('invocations', d.replayedAs)} data-testid="replayed-as"><code>{d.replayedAs}</code></a></>
                  : <>
                    <button type="button" disabled={busy === d.id} onClick={() => replay(d.id, false)}>Replay</button>{' '}
                    <button type="button" disabled={busy === d.id} onClick={() => replay(d.id, true)} title="with the function's latest version">Replay on latest</button>
                  </>}
                </td>
              </tr>
            );
          })}</tbody>
        </table>
      ))}
    </Section>
  );
}

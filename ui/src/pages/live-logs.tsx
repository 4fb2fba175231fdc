// Live logs: a running invocation's stdout and stderr as its worker forwards them, read by
// polling invocations.logs from the last line seen. The page keeps at most the last ~1 MB of
// each stream and stops when the invocation ends. Output is hostile text: rendered as text.
import { useEffect, useState } from 'react';
import { api, messageOf } from '../api.js';
import type { PageProps } from '../page-props.js';
import { ErrorLine, Loading, Section, Status, Time } from '../components.js';
import { href } from '../route.js';
import { useLoad } from '../use-load.js';

const KEEP_CHARS = 1024 * 1024;
const POLL_MS = 700;

interface Streams { stdout: string; stderr: string; ended: boolean; trimmed: boolean }

const keepTail = (text: string) => (text.length > KEEP_CHARS ? text.slice(text.length - KEEP_CHARS) : text);

/** Polls invocations.logs with `after` until the invocation ends (or the component goes). */
export function useLiveLogs(id: string): Streams & { error?: string } {
  const [state, setState] = useState<Streams & { error?: string }>({ stdout: '', stderr: '', ended: false, trimmed: false });
  useEffect(() => {
    let live = true;
    let after = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const page = await api.invocations.logs.query({ id, after });
        if (!live) return;
        after = page.next;
        setState((s) => {
          let { stdout, stderr } = s;
          for (const c of page.chunks) {
            if (c.stream === 2) stderr += c.text;
            else stdout += c.text;
          }
          const trimmed = s.trimmed || stdout.length > KEEP_CHARS || stderr.length > KEEP_CHARS;
          return { stdout: keepTail(stdout), stderr: keepTail(stderr), ended: page.ended, trimmed };
        });
        if (!page.ended) timer = setTimeout(() => void poll(), POLL_MS);
      } catch (err) {
        if (live) setState((s) => ({ ...s, error: messageOf(err), ended: true }));
      }
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [id]);
  return state;
}

/** An invocation's output while it runs: both streams, growing as lines arrive. */
export function LiveLogs({ id }: { id: string }) {
  const logs = useLiveLogs(id);
  return (
    <Section title={logs.ended ? 'Logs (ended)' : 'Live logs (following)'}>
      <ErrorLine error={logs.error} />
      {logs.trimmed && <p className="muted">Only the last 1 MB of each stream is kept in this page.</p>}
      <h3>stdout</h3><pre className="log" data-testid="live-stdout">{logs.stdout || '(nothing yet)'}</pre>
      <h3>stderr</h3><pre className="log" data-testid="live-stderr">{logs.stderr || '(nothing yet)'}</pre>
    </Section>
  );
}

/** The Live logs tab: the namespace's running invocations, each opening its page (which follows its output). */
export function RunningPage({ namespace }: PageProps) {
  const list = useLoad(() => api.invocations.list.query({ namespace, status: 'RUNNING', limit: 100 }), [namespace]);
  const { reload } = list;
  useEffect(() => {
    const timer = setInterval(reload, 3000);
    return () => clearInterval(timer);
  }, [reload]);
  return (
    <Section title="Running now" actions={<button type="button" onClick={reload}>Refresh</button>}>
      <p className="muted">Open an invocation to follow its stdout and stderr while it runs.</p>
      <Loading when={list.loading && !list.data} />
      <ErrorLine error={list.error} />
      {list.data && (list.data.items.length === 0 ? <p className="muted">Nothing is running in {namespace}.</p> : (
        <table>
          <thead><tr><th>Id</th><th>Function</th><th>Status</th><th>Accepted</th></tr></thead>
          <tbody>
            {list.data.items.map((i) => (
              <tr key={i.id}>
                <td><a href={href('invocations', i.id)}><code>{i.id}</code></a></td>
                <td>{i.function} v{i.version}</td>
                <td><Status value={i.status} /></td>
                <td><Time iso={i.createdAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </Section>
  );
}

// Metrics: this api process's invocation counters (metrics.summary: admin keys of every
// namespace), as bars drawn in SVG (the CSP allows no inline style, so no style attributes).
import type { PageProps } from '../page-props.js';
import { api, type Outputs } from '../api.js';
import { ErrorLine, Loading, Section, Time } from '../components.js';
import { useLoad } from '../use-load.js';

type Summary = Outputs['metrics']['summary'];
type Quantiles = Summary['duration'];

function Bars({ label, counts }: { label: string; counts: Record<string, number> }) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  if (entries.length === 0) return <p className="muted">None yet.</p>;
  const row = 22;
  return (
    <svg className="bars" role="img" aria-label={label} viewBox={`0 0 420 ${entries.length * row}`} width="420" height={entries.length * row}>
      {entries.map(([name, n], i) => (
        <g key={name} transform={`translate(0 ${i * row})`} data-testid={`bar-${name}`}>
          <text x="0" y="15" className="bar-label">{name}</text>
          <rect x="130" y="3" height="15" width={Math.max(2, (240 * n) / max)} className="bar" />
          <text x={136 + (240 * n) / max} y="15" className="bar-value">{n}</text>
        </g>
      ))}
    </svg>
  );
}

const seconds = (s: number | null) => (s === null ? '—' : s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`);

function Percentiles({ q }: { q: Quantiles }) {
  return <>{q.count} observed; p50 ≈ {seconds(q.p50)}, p95 ≈ {seconds(q.p95)}</>;
}

export function MetricsPage({ session }: PageProps) {
  const allowed = session.role === 'admin' && session.namespace === '*';
  const summary = useLoad(() => (allowed ? api.metrics.summary.query() : Promise.resolve(undefined)), [allowed]);
  if (!allowed) return <Section title="Metrics"><p className="muted">Metrics cover every namespace: log in with an admin key of every namespace to see them.</p></Section>;
  const m = summary.data;
  return (
    <Section title="Metrics" actions={<button type="button" onClick={summary.reload}>Refresh</button>}>
      <Loading when={summary.loading && !m} />
      <ErrorLine error={summary.error} />
      {m && (
        <>
          <p className="muted">This api process's counters since <Time iso={m.since} /> (every api process of a deployment counts its own: Prometheus at /metrics adds them up).</p>
          <dl className="facts">
            <dt>Invocations ended</dt><dd data-testid="metric-invocations">{m.invocations}</dd>
            <dt>Dead letters</dt><dd data-testid="metric-dead-letters">{m.deadLetters}</dd>
            <dt>Duration</dt><dd><Percentiles q={m.duration} /></dd>
            <dt>Queue wait</dt><dd><Percentiles q={m.queueWait} /></dd>
          </dl>
          <h3>By outcome</h3><Bars label="invocations by outcome" counts={m.byOutcome} />
          <h3>By start (cold, warm; none: no attempt ran)</h3><Bars label="invocations by start" counts={m.byStart} />
        </>
      )}
    </Section>
  );
}

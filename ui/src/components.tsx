// Small pieces every page uses: a status badge, a JSON block, an error line, times and sizes.
import type { ReactNode } from 'react';

export function Status({ value }: { value: string }) {
  return <span className={`status status-${value.toLowerCase()}`} data-status={value}>{value}</span>;
}

export function Json({ value, label }: { value: unknown; label?: string }) {
  const text = value === undefined ? '—' : JSON.stringify(value, null, 2);
  return <pre className="json" aria-label={label}>{text}</pre>;
}

export function ErrorLine({ error }: { error: string | undefined }) {
  return error ? <p className="error" role="alert">{error}</p> : null;
}

export function Loading({ when }: { when: boolean }) {
  return when ? <p className="muted">Loading…</p> : null;
}

/** A time as the api answers it: ISO text (a Date in a router's inferred type is ISO text on the wire). */
export function Time({ iso }: { iso: string | Date | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  const d = new Date(iso);
  return <time dateTime={d.toISOString()} title={d.toISOString()}>{d.toLocaleString()}</time>;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(2)} s`;
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card">
      <header className="card-head"><h2>{title}</h2>{actions}</header>
      {children}
    </section>
  );
}

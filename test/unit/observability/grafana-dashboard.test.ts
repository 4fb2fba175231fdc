// The Grafana dashboard in ops/grafana reads only metrics Caisson exports, with their own labels.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/metrics.js';

const dashboard = JSON.parse(readFileSync('ops/grafana/caisson.json', 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

describe('ops/grafana/caisson.json', () => {
  it('every caisson_* series it queries is one the registry defines, with labels that metric has', async () => {
    const metrics = createMetrics();
    const defined = new Map((await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, m]));
    const labelsOf = (name: string) => new Set((metrics.registry.getSingleMetric(name) as unknown as { labelNames?: string[] }).labelNames ?? []);
    const used = [...exprs.join('\n').matchAll(/\b(caisson_[a-z_]+?)(_bucket|_count|_sum)?\{([^}]*)\}|\b(caisson_[a-z_]+)\b/g)];
    expect(used.length).toBeGreaterThan(10);
    for (const m of used) {
      const name = m[1] ?? m[4]!;
      const base = defined.has(name) ? name : name.replace(/_(bucket|count|sum)$/, '');
      expect(defined.has(base), `${name} is not a metric Caisson defines`).toBe(true);
      for (const [, label] of (m[3] ?? '').matchAll(/([a-z_]+)\s*(=~|!=|=)/g)) {
        expect(labelsOf(base).has(label!), `${base} has no label ${label}`).toBe(true);
      }
    }
  });

  it('has a panel for each part the metrics cover', () => {
    const all = exprs.join('\n');
    for (const name of ['caisson_invocations_total', 'caisson_invocation_duration_seconds_bucket', 'caisson_invocation_queue_wait_seconds_bucket',
      'caisson_warm_pool_containers', 'caisson_warm_acquires_total', 'caisson_containers_created_total', 'caisson_build_duration_seconds_bucket',
      'caisson_dead_letters_total', 'caisson_api_request_duration_seconds_bucket', 'temporal_worker_task_slots_available']) {
      expect(all).toContain(name);
    }
  });
});

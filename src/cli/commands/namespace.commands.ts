// caisson namespace get | set-quota: a namespace's quotas (effective, overridden, default) and usage.
import type { Command } from 'commander';
import type { CaissonClient } from '../../client/index.js';
import { QUOTA_MEANINGS, QUOTA_NAMES, type QuotaName, type QuotaOverrides } from '../../shared/quotas.js';
import type { Output } from '../output.js';

type Ctx = () => { client: CaissonClient; out: Output };

/** The flag of each quota. */
const FLAGS: Record<QuotaName, string> = {
  concurrentInvocations: 'concurrency',
  invocationsPerMinute: 'per-minute',
  functions: 'functions',
  versions: 'versions',
  codeBytes: 'code-bytes',
  warmContainers: 'warm-containers',
  blobBytes: 'blob-bytes',
};

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Flags whose value is a size: it may end in k, m or g. */
const SIZE_FLAGS: ReadonlySet<string> = new Set(['code-bytes', 'blob-bytes']);

/** A flag's value: a count (sizes may end in k, m or g), or `default` to clear the override. */
export function quotaValue(flag: string, value: string): number | null {
  if (value === 'default') return null;
  const m = /^(\d+)([kmg]?)i?b?$/i.exec(value);
  const size = SIZE_FLAGS.has(flag);
  if (!m || (m[2] && !size)) throw new Error(`--${flag} takes a whole number${size ? ' (k, m, g allowed)' : ''} or 'default'`);
  return Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
}

export function registerNamespaceCommands(program: Command, ctx: Ctx): void {
  const ns = program.command('namespace').description("a namespace's quotas and usage");
  ns.command('get [namespace]').description('effective quotas, their source, and current usage')
    .action(async (namespace: string | undefined) => {
      const { client, out } = ctx();
      const v = await client.namespace.get.query({ namespace: namespace ?? 'default' });
      const usage = v.usage as Partial<Record<QuotaName, number>>;
      const lines = QUOTA_NAMES.map((n) => {
        const source = v.overrides[n] === null || v.overrides[n] === undefined ? 'default' : 'set';
        const used = usage[n] === undefined ? 'per worker' : String(usage[n]);
        return `${n}\t${v.quotas[n]}\t(${source})\tused ${used}\t${QUOTA_MEANINGS[n]}`;
      });
      out.print(`namespace ${v.namespace}\n${lines.join('\n')}`, v);
    });
  const set = ns.command('set-quota <namespace>').description("change a namespace's quotas (admin keys of every namespace)");
  for (const name of QUOTA_NAMES) set.option(`--${FLAGS[name]} <n>`, `${QUOTA_MEANINGS[name]} ('default' clears)`);
  set.action(async (namespace: string, o: Record<string, string | undefined>) => {
    const { client, out } = ctx();
    const quotas: QuotaOverrides = {};
    for (const name of QUOTA_NAMES) {
      const flag = FLAGS[name];
      const given = o[flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())];
      if (given !== undefined) quotas[name] = quotaValue(flag, given);
    }
    if (Object.keys(quotas).length === 0) throw new Error(`give at least one of ${QUOTA_NAMES.map((n) => `--${FLAGS[n]}`).join(', ')}`);
    const v = await client.namespace.setQuota.mutate({ namespace, quotas });
    out.print(`namespace ${v.namespace}: ${QUOTA_NAMES.map((n) => `${n}=${v.quotas[n]}`).join(' ')}`, v);
  });
}

// caisson audit ls: the audit trail (admin keys), newest first.
import type { Command } from 'commander';
import type { CaissonClient } from '../../client/index.js';
import type { Output } from '../output.js';

type Ctx = () => { client: CaissonClient; out: Output };

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO time, or an age such as 30m, 12h, 7d. */
export function sinceTime(value: string, now = Date.now()): string {
  const age = /^(\d+)([smhd])$/.exec(value);
  if (age) return new Date(now - Number(age[1]) * UNITS[age[2]!]!).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error('--since takes an ISO time or an age such as 30m, 12h, 7d');
  return new Date(t).toISOString();
}

export function registerAuditCommands(program: Command, ctx: Ctx): void {
  const audit = program.command('audit').description('the audit trail: who did what, when (admin keys)');
  audit.command('ls').description('list audit events, newest first')
    .option('--namespace <ns>', 'only this namespace (default: every one the key reaches)')
    .option('--action <action>', 'only this action (function.deploy, invoke, key.create, …)')
    .option('--key <id>', 'only this key (key_…)')
    .option('--since <time>', 'ISO time, or an age: 30m, 12h, 7d')
    .option('--limit <n>', 'events per page', '50')
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .action(async (o) => {
      const { client, out } = ctx();
      const page = await client.audit.list.query({
        namespace: o.namespace, action: o.action, keyId: o.key, since: o.since ? sinceTime(o.since) : undefined,
        limit: Number(o.limit), cursor: o.cursor,
      });
      const lines = page.items.map((e) => `${e.at}\t${e.keyName} (${e.keyId})\t${e.namespace}\t${e.action}\t${e.target}\t${e.outcome}`);
      const more = page.nextCursor ? `\n(more: --cursor ${page.nextCursor})` : '';
      out.print((lines.join('\n') || '(no events)') + more, page);
    });
}

// caisson dlq ls | show | replay | rm
import type { Command } from 'commander';
import type { CaissonClient } from '../../client/index.js';
import type { Output } from '../output.js';

type Ctx = () => { client: CaissonClient; out: Output };

export function registerDlqCommands(program: Command, ctx: Ctx): void {
  const dlq = program.command('dlq').description('dead letters: invocations whose attempts ran out');
  dlq.command('ls').description('list dead letters (newest first)')
    .option('--function <name>', 'only this function')
    .option('--pending', 'only those not replayed yet')
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (o) => {
      const { client, out } = ctx();
      const page = await client.deadLetters.list.query({ namespace: o.namespace, function: o.function, includeReplayed: !o.pending });
      const lines = page.items.map((d) => {
        const last = d.errors.at(-1)?.failure;
        return `${d.id}\t${d.functionName} v${d.version}\t${d.errors.length} attempt(s)\t${last ? `${last.kind}: ${last.message.slice(0, 60)}` : ''}${d.replayedAs ? `\treplayed as ${d.replayedAs}` : ''}`;
      });
      out.print(lines.join('\n') || '(no dead letters)', page);
    });
  dlq.command('show <id>').description('the input and every attempt\'s error').action(async (id: string) => {
    const { client, out } = ctx();
    const d = await client.deadLetters.get.query({ id });
    out.print(JSON.stringify(d, null, 2), d);
  });
  dlq.command('replay <id>').description('invoke again with the same input (same version unless --latest)')
    .option('--latest', 'use the latest version of the function')
    .action(async (id: string, o) => {
      const { client, out } = ctx();
      const r = await client.deadLetters.replay.mutate({ id, latest: Boolean(o.latest) });
      out.print(`replaying as ${r.invocationId} (caisson inv get ${r.invocationId})`, r);
    });
  dlq.command('rm <id>').description('delete a dead letter').action(async (id: string) => {
    const { client, out } = ctx();
    out.print(`deleted ${id}`, await client.deadLetters.delete.mutate({ id }));
  });
}

// caisson secret create | ls | rm: a namespace's secrets. The value goes to the api once and is
// never shown again by anything.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CaissonClient } from '../../client/index.js';
import type { Output } from '../output.js';

type Ctx = () => { client: CaissonClient; out: Output };

async function readStdinBytes(): Promise<Buffer> {
  if (process.stdin.isTTY) throw new Error('give the value with --from-file or --from-literal, or pipe it on stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The value's bytes, exactly as given: from a file, a literal, or stdin (no newline trimmed). */
async function secretValue(o: { fromFile?: string; fromLiteral?: string }): Promise<Buffer> {
  if (o.fromFile !== undefined && o.fromLiteral !== undefined) throw new Error('give one of --from-file and --from-literal');
  if (o.fromFile !== undefined) return readFile(o.fromFile);
  if (o.fromLiteral !== undefined) return Buffer.from(o.fromLiteral, 'utf8');
  return readStdinBytes();
}

export function registerSecretCommands(program: Command, ctx: Ctx): void {
  const secret = program.command('secret').description("a namespace's secrets (values are never shown back)");
  secret.command('create <name>').description('store a secret: its value from --from-file, --from-literal or stdin')
    .option('--from-file <path>', 'the value is this file (bytes as they are)')
    .option('--from-literal <value>', 'the value itself (it lands in your shell history: prefer a file or stdin)')
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const value = await secretValue(o);
      const created = await client.secrets.create.mutate({ namespace: o.namespace, name, valueBase64: value.toString('base64') });
      out.print(`created secret ${created.name} in namespace ${created.namespace} (${created.sizeBytes} bytes)`, created);
    });
  secret.command('ls').description('list secrets: names, sizes and dates, never values').option('--namespace <ns>', 'namespace', 'default')
    .action(async (o) => {
      const { client, out } = ctx();
      const list = await client.secrets.list.query({ namespace: o.namespace });
      out.print(list.map((s) => `${s.name}\t${s.sizeBytes} B\t${s.createdAt}`).join('\n') || '(no secrets)', list);
    });
  secret.command('rm <name>').description('delete a secret (refused while a function uses it)').option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const r = await client.secrets.delete.mutate({ namespace: o.namespace, name });
      out.print(`deleted secret ${name}`, r);
    });
}

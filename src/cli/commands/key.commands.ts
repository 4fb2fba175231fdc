// caisson key create | ls | revoke, and caisson login (stores a key for this CAISSON_HOME).
import type { Command } from 'commander';
import type { CaissonClient } from '../../client/index.js';
import { ALL_NAMESPACES, ROLES, type Role } from '../../shared/roles.js';
import { writeSecretFile } from '../credentials.js';
import type { Output } from '../output.js';

type Ctx = () => { client: CaissonClient; out: Output };

export interface LoginTarget {
  /** Where the key goes ($CAISSON_HOME/credentials); read when login runs. */
  file(): string;
  clientWith(apiKey: string): CaissonClient;
}

function parseRole(value: string): Role {
  const role = ROLES.find((r) => r === value);
  if (!role) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  return role;
}

function expiry(days: string | undefined): string | undefined {
  if (days === undefined) return undefined;
  const n = Number(days);
  if (!Number.isFinite(n) || n <= 0) throw new Error('--expires-in takes a positive number of days');
  return new Date(Date.now() + n * 86_400_000).toISOString();
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export function registerKeyCommands(program: Command, ctx: Ctx, login: LoginTarget): void {
  const key = program.command('key').description('api keys (admin keys only)');
  key.command('create').description('make a key; it is printed once and stored only as a hash')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--namespace <ns>', `its namespace, or ${ALL_NAMESPACES} for all`, 'default')
    .option('--role <role>', ROLES.join(' | '), 'developer')
    .option('--expires-in <days>', 'stops working after this many days')
    .action(async (o) => {
      const { client, out } = ctx();
      const created = await client.keys.create.mutate({ name: o.name, namespace: o.namespace, role: parseRole(o.role), expiresAt: expiry(o.expiresIn) });
      out.print(`${created.key}\n(${created.id}: ${created.role} of namespace ${created.namespace}${created.expiresAt ? `, expires ${created.expiresAt}` : ''}; shown once, keep it now)`, created);
    });
  key.command('ls').description('list keys (never the keys themselves)').action(async () => {
    const { client, out } = ctx();
    const keys = await client.keys.list.query();
    const state = (k: (typeof keys)[number]) => (k.revokedAt ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= Date.now() ? 'expired' : 'active');
    out.print(keys.map((k) => `${k.id}\t${k.role}\t${k.namespace}\t${state(k)}\t${k.name}`).join('\n') || '(no keys)', keys);
  });
  key.command('revoke <id>').description('stop a key from working, at once').action(async (id: string) => {
    const { client, out } = ctx();
    const revoked = await client.keys.revoke.mutate({ id });
    out.print(`revoked ${revoked.id} (${revoked.name})`, revoked);
  });

  program.command('login').description(`store an api key for this CAISSON_HOME (read from stdin when not given)`)
    .argument('[key]', 'the key (prefer stdin: a key on the command line lands in shell history)')
    .action(async (given: string | undefined) => {
      const out = ctx().out;
      const apiKey = given ?? (await readStdin());
      const me = await login.clientWith(apiKey).auth.whoami.query();
      const file = login.file();
      await writeSecretFile(file, apiKey);
      out.print(`logged in as ${me.name} (${me.role} of namespace ${me.namespace}); key stored in ${file}`, me);
    });
}

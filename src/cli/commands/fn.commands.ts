// caisson fn deploy | ls | get | versions | rm
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { describeClientError, type CaissonClient } from '../../client/index.js';
import { CONVENTIONS, RUNTIMES, type Convention, type Runtime } from '../../shared/types.js';
import { detectRuntime, packCode } from '../code-package.js';
import type { Output } from '../output.js';

type Ctx = () => { client: CaissonClient; out: Output };

function parseEnv(pairs: string[] = []): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(pairs.map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`--env takes KEY=VALUE, got '${p}'`);
    return [p.slice(0, i), p.slice(i + 1)];
  }));
}

export function registerFnCommands(program: Command, ctx: Ctx): void {
  const fn = program.command('fn').description('deploy and manage functions');

  fn.command('deploy <path>')
    .description('deploy a file or folder: creates the function, or its next version')
    .option('--name <name>', 'function name (default: the folder or file name)')
    .option('--runtime <runtime>', `one of ${RUNTIMES.join(', ')} (default: detected from the files)`)
    .option('--convention <convention>', `one of ${CONVENTIONS.join(', ')} (default: script)`)
    .option('--entry <entry>', 'script file, or module.function for handler')
    .option('--timeout <ms>', 'timeout in milliseconds', Number)
    .option('--memory <mb>', 'memory limit in MB', Number)
    .option('--cpus <n>', 'CPUs', Number)
    .option('--network', 'give the function network access')
    .option('--max-attempts <n>', 'attempts before dead-lettering', Number)
    .option('--env <KEY=VALUE...>', 'environment variables')
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (path: string, o) => {
      const { client, out } = ctx();
      const packed = await packCode(resolve(path));
      const runtime = (o.runtime ?? detectRuntime(packed.files)) as Runtime | undefined;
      if (!runtime) throw new Error(`cannot tell the runtime of ${path}: pass --runtime (${RUNTIMES.join(', ')})`);
      const name = o.name ?? basename(resolve(path)).replace(/\.[a-z]+$/, '').toLowerCase().replace(/[^a-z0-9_-]/g, '-');
      const limits = Object.fromEntries(Object.entries({ timeoutMs: o.timeout, memoryMb: o.memory, cpus: o.cpus, network: o.network })
        .filter(([, v]) => v !== undefined));
      const body = {
        namespace: o.namespace, name, code: packed.code, fileName: packed.fileName,
        convention: o.convention as Convention | undefined, entry: o.entry, limits,
        env: parseEnv(o.env), retryPolicy: o.maxAttempts ? { maxAttempts: o.maxAttempts } : undefined,
      };
      const spin = out.spinner(`deploying ${name}`);
      try {
        let spec;
        try {
          spec = await client.functions.create.mutate({ ...body, runtime });
        } catch (err) {
          if (describeClientError(err)?.code !== 'CONFLICT') throw err;
          spec = await client.functions.update.mutate(body);
        }
        spin.stop();
        out.print(`deployed ${spec.name} version ${spec.version} (${spec.runtime}, ${spec.convention}, entry ${spec.entry}, sha256 ${spec.artifact.sha256.slice(0, 12)})`, spec);
      } finally {
        spin.stop();
      }
    });

  fn.command('ls').description('list functions').option('--namespace <ns>', 'namespace', 'default')
    .action(async (o) => {
      const { client, out } = ctx();
      const page = await client.functions.list.query({ namespace: o.namespace });
      out.print(page.items.map((f) => `${f.name}\tv${f.latestVersion}\t${f.runtime}`).join('\n') || '(no functions)', page);
    });

  fn.command('get <name>').description('show a function').option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const f = await client.functions.get.query({ namespace: o.namespace, name });
      out.print(JSON.stringify(f, null, 2), f);
    });

  fn.command('versions <name>').description('list the versions of a function').option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const versions = await client.functions.versions.query({ namespace: o.namespace, name });
      out.print(versions.map((v) => `v${v.version}\t${v.createdAt}\t${v.artifact.sha256.slice(0, 12)}`).join('\n'), versions);
    });

  fn.command('rm <name>').description('delete a function').option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const r = await client.functions.delete.mutate({ namespace: o.namespace, name });
      out.print(`deleted ${name}`, r);
    });
}

// caisson fn deploy | ls | get | versions | rm
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { intFlag, numberFlag } from '../flags.js';
import { httpTriggerInput, httpTriggerOptions } from '../http-flags.js';
import type { CaissonClient } from '../../client/index.js';
import { CONVENTIONS } from '../../shared/names.js';
import { RUNTIME_NAMES as RUNTIMES, normalizeRuntimeName, runtimeFamily } from '../../shared/runtimes.js';
import type { Convention } from '../../shared/types.js';
import type { SecretRef } from '../../shared/secrets.js';
import type { Output } from '../output.js';
import { followDeployment } from '../deploy-follow.js';
import { registerFnLogs } from './logs.commands.js';

type Ctx = () => { client: CaissonClient; out: Output };

function parseEnv(pairs: string[] = []): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(pairs.map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`--env takes KEY=VALUE, got '${p}'`);
    return [p.slice(0, i), p.slice(i + 1)];
  }));
}

/** NAME or NAME:ENV_VAR per --secret; undefined when none was given (the previous version's stay). */
async function parseSecrets(flags: string[] = []): Promise<SecretRef[] | undefined> {
  if (flags.length === 0) return undefined;
  const { parseSecretFlag } = await import('../../shared/secrets.js');
  return flags.map(parseSecretFlag);
}

const secretList = (refs: readonly SecretRef[] | undefined) => (refs ?? []).map((r) => (r.env ? `${r.name}:${r.env}` : r.name)).join(',');

/** The options the user gave (the api fills in the rest and says which field is wrong). */
function given(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

export function registerFnCommands(program: Command, ctx: Ctx): void {
  const fn = program.command('fn').description('deploy and manage functions');

  httpTriggerOptions(fn.command('deploy <path>'))
    .description('deploy a file or folder: creates the function, or its next version (builds Go and dependencies first)')
    .option('--name <name>', 'function name (default: the folder or file name)')
    .option('--runtime <runtime>', `one of ${RUNTIMES.join(', ')}, or Lambda's names (nodejs22.x); python/node: the newest (default: detected from the files)`)
    .option('--convention <convention>', `one of ${CONVENTIONS.join(', ')} (default: detected from the files, else script)`)
    .option('--entry <entry>', 'script file, module.function, or the Go function name')
    .option('--timeout <ms>', 'timeout in milliseconds', intFlag)
    .option('--memory <mb>', 'memory limit in MB', intFlag)
    .option('--cpus <n>', 'CPUs', numberFlag)
    .option('--network', 'give the function network access')
    .option('--max-attempts <n>', 'attempts before dead-lettering', intFlag)
    .option('--env <KEY=VALUE...>', 'environment variables')
    .option('--secret <NAME...>', 'a secret of the namespace (NAME or NAME:ENV_VAR, repeatable): file /var/openfaas/secrets/NAME (and /run/secrets/NAME), and env var ENV_VAR when given')
    .option('--isolation <mode>', "warm (default: warm containers when free) or fresh (always a new container)")
    .option('--min-warm <n>', 'warm containers kept started while the version is in use (default 1)', intFlag)
    .option('--max-warm <n>', 'at most this many warm containers per worker (default 8)', intFlag)
    .option('--max-queued <n>', 'invocations that may wait for a busy warm container (default 32)', intFlag)
    .option('--warm-queue-timeout <ms>', 'longest wait for a warm container before running cold (default 10000)', intFlag)
    .option('--idle-ttl <ms>', 'an unused warm container is removed after this long (default 300000)', intFlag)
    .option('--max-invocations <n>', 'a warm container is replaced after this many invocations (default 1000)', intFlag)
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (path: string, o) => {
      const { client, out } = ctx();
      const full = resolve(path);
      // Loaded here, not at start: tar and the archive checks only matter to a deploy.
      const { detectConvention, detectRuntime, packCode } = await import('../code-package.js');
      const packed = await packCode(full);
      const runtime = o.runtime === undefined ? detectRuntime(packed.files) : normalizeRuntimeName(String(o.runtime));
      if (!runtime) {
        throw new Error(o.runtime === undefined ? `cannot tell the runtime of ${path}: pass --runtime (${RUNTIMES.join(', ')})`
          : `unknown runtime '${o.runtime}': one of ${RUNTIMES.join(', ')}`);
      }
      const detected = o.convention ? undefined
        : await detectConvention(packed.fileName ? dirname(full) : full, packed.files, runtimeFamily(runtime));
      if (detected && !out.json) process.stderr.write(`convention: ${detected.convention} (${detected.why}; --convention overrides)\n`);
      const name = o.name ?? basename(full).replace(/\.[a-z]+$/, '').toLowerCase().replace(/[^a-z0-9_-]/g, '-');
      const limits = given({ timeoutMs: o.timeout, memoryMb: o.memory, cpus: o.cpus, network: o.network });
      if (o.isolation !== undefined && !['warm', 'fresh'].includes(o.isolation)) {
        throw new Error(`--isolation takes warm or fresh, got '${o.isolation}'`);
      }
      const warm = given({ isolation: o.isolation, minWarm: o.minWarm, maxWarm: o.maxWarm, maxQueued: o.maxQueued,
        queueTimeoutMs: o.warmQueueTimeout, idleTtlMs: o.idleTtl, maxInvocations: o.maxInvocations });
      // An update that changes nothing answers the version there is: known by comparing with it.
      const before = await client.functions.get.query({ namespace: o.namespace, name });
      const { deploymentId, mode } = await client.functions.deploy.mutate({
        namespace: o.namespace, name, runtime, code: packed.code, fileName: packed.fileName,
        convention: (o.convention ?? detected?.convention) as Convention | undefined, entry: o.entry ?? detected?.entry, limits,
        env: parseEnv(o.env), secrets: await parseSecrets(o.secret), retryPolicy: o.maxAttempts ? { maxAttempts: o.maxAttempts } : undefined,
        ...(Object.keys(warm).length ? { warm } : {}),
        ...httpTriggerInput(o),
      });
      const d = await followDeployment({ client, out, id: deploymentId, title: `${mode === 'create' ? 'creating' : 'updating'} ${name}` });
      if (d.status !== 'SUCCEEDED' || !d.spec) {
        if (out.json) return out.print('', d);
        throw new Error(`deploy of ${name} failed (${d.error?.code ?? 'unknown'}):\n${d.error?.message ?? ''}`);
      }
      const spec = d.spec;
      if (before && spec.version === before.latestVersion) {
        return out.print(`unchanged: ${spec.name} version ${spec.version} already has this code and these settings (no new version)`, { ...d, unchanged: true });
      }
      out.print(`deployed ${spec.name} version ${spec.version} (${spec.runtime}, ${spec.convention}, entry ${spec.entry}, sha256 ${spec.artifact.sha256.slice(0, 12)})`, d);
    });

  fn.command('ls').description('list functions').option('--namespace <ns>', 'namespace', 'default')
    .action(async (o) => {
      const { client, out } = ctx();
      const page = await client.functions.list.query({ namespace: o.namespace });
      out.print(page.items.map((f) => `${f.name}\tv${f.latestVersion}\t${f.runtime}`).join('\n') || '(no functions)', page);
    });
  registerFnLogs(fn, ctx);

  fn.command('get <name>').description('show a function').option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const f = await client.functions.get.query({ namespace: o.namespace, name });
      if (!f) throw new CliError('NOT_FOUND', `no function '${name}' in namespace '${o.namespace}'`);
      out.print(JSON.stringify(f, null, 2), f);
    });

  fn.command('versions <name>').description('list the versions of a function').option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const versions = await client.functions.versions.query({ namespace: o.namespace, name });
      out.print(versions.map((v) => `v${v.version}\t${v.createdAt}\t${v.artifact.sha256.slice(0, 12)}${v.secrets?.length ? `\tsecrets ${secretList(v.secrets)}` : ''}`).join('\n'), versions);
    });

  fn.command('rm <name>').description('delete a function').option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const r = await client.functions.delete.mutate({ namespace: o.namespace, name });
      out.print(`deleted ${name}`, r);
    });
}

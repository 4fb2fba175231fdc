// caisson chain deploy | invoke | resume | ls | get | versions | rm
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { intFlag } from '../flags.js';
import { describeClientError, type CaissonClient } from '../../client/index.js';
import type { Output } from '../output.js';

type Ctx = () => { client: CaissonClient; out: Output };
type ChainRun = Awaited<ReturnType<CaissonClient['chains']['invocation']['query']>>;

/** A chain definition file: YAML or JSON (JSON is YAML, but JSON errors read better). */
export async function readDefinition(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    if (path.endsWith('.json')) return JSON.parse(text);
    const { parse: parseYaml } = await import('yaml');
    return parseYaml(text);
  } catch (err) {
    throw new Error(`${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
}

function parseJson(arg: string | undefined, what: string): unknown {
  if (arg === undefined) return null;
  try {
    return JSON.parse(arg);
  } catch {
    throw new Error(`the ${what} is not JSON: ${arg.slice(0, 80)}`);
  }
}

/** `fn@3` or `fn@latest` → { fn: 3 } */
function parseUse(pairs: string[] = []): Record<string, number | 'latest'> | undefined {
  if (pairs.length === 0) return undefined;
  return Object.fromEntries(pairs.map((p) => {
    const [name, v] = p.split('@');
    if (!name || !v || !(v === 'latest' || /^[1-9][0-9]*$/.test(v))) throw new Error(`--use takes FUNCTION@VERSION or FUNCTION@latest, got '${p}'`);
    return [name, v === 'latest' ? 'latest' : Number(v)];
  }));
}

export function formatChainRun(v: ChainRun): string {
  const head = `${v.id}  chain ${v.function} v${v.version}  ${v.status}  runs ${v.attempts}${v.durationMs != null ? `  ${v.durationMs} ms` : ''}`;
  const steps = v.chain.steps.map((s) => {
    const units = s.units.length > 1 ? `  ${s.units.filter((u) => u.status === 'SUCCEEDED').length}/${s.units.length} ok` : '';
    const err = s.error ? `  ${s.error.unit ? `[${s.error.unit}] ` : ''}${s.error.kind}: ${s.error.message}` : '';
    return `  ${s.name.padEnd(16)} ${s.type.padEnd(8)} ${s.status.padEnd(9)} ${String(s.durationMs ?? '-').padStart(6)} ms  ${s.functions.join(',')}${units}${err}`;
  });
  const tail = v.status === 'SUCCEEDED' ? `\n${JSON.stringify(v.result, null, 2)}` : v.error ? `\n${v.error.kind}: ${v.error.message}` : '';
  return [head, ...steps].join('\n') + tail;
}

const exitCodeFor = (v: ChainRun) => (v.status === 'SUCCEEDED' ? 0 : v.status === 'RUNNING' || v.status === 'PENDING' ? 2 : 1);

export function registerChainCommands(program: Command, ctx: Ctx): void {
  const chain = program.command('chain').description('deploy, invoke and resume chains of functions');

  chain.command('deploy <file>')
    .description('deploy a chain definition (YAML or JSON): creates the chain, or its next version')
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (file: string, o) => {
      const { client, out } = ctx();
      const definition = await readDefinition(file);
      let v;
      try {
        v = await client.chains.create.mutate({ namespace: o.namespace, definition });
      } catch (err) {
        if (describeClientError(err)?.code !== 'CONFLICT') throw err;
        v = await client.chains.update.mutate({ namespace: o.namespace, definition });
      }
      out.print(`deployed chain ${v.name} version ${v.version} (${v.definition.steps.length} steps; functions ${v.functions.join(', ')})`, v);
    });

  chain.command('invoke <name> [input]')
    .description('invoke a chain with JSON input; waits for the result unless --async')
    .option('--version <n>', 'chain version (default: latest)', intFlag)
    .option('--async', 'print the invocation id and return at once')
    .option('--wait <ms>', 'how long to wait for the result', intFlag, 900_000)
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, inputArg: string | undefined, o) => {
      const { client, out } = ctx();
      const req = { namespace: o.namespace, name, version: o.version ?? 'latest', input: parseJson(inputArg, 'input') } as const;
      if (o.async) {
        const r = await client.chains.start.mutate(req);
        out.print(r.id, r);
        return;
      }
      const v: ChainRun = await out.during(`running chain ${name}`, () => client.chains.invoke.mutate({ ...req, waitMs: o.wait }));
      out.print(formatChainRun(v), v);
      process.exitCode = exitCodeFor(v);
    });

  chain.command('resume <id>')
    .description('rerun a failed chain invocation from its failed step (finished steps are not run again)')
    .option('--use <FUNCTION@VERSION...>', 'run these functions at another version (or @latest) from the failed step on')
    .option('--latest', 'run every function at its latest version from the failed step on')
    .option('--async', 'return at once')
    .option('--wait <ms>', 'how long to wait for the result', intFlag, 900_000)
    .action(async (id: string, o) => {
      const { client, out } = ctx();
      const r = await client.chains.resume.mutate({ id, functions: parseUse(o.use), latest: Boolean(o.latest) });
      if (o.async) {
        out.print(`${r.id} resumed (run ${r.run})`, r);
        return;
      }
      const v = await client.chains.invocation.query({ id, waitMs: o.wait });
      out.print(formatChainRun(v), v);
      process.exitCode = exitCodeFor(v);
    });

  chain.command('ls').description('list chains').option('--namespace <ns>', 'namespace', 'default')
    .action(async (o) => {
      const { client, out } = ctx();
      const page = await client.chains.list.query({ namespace: o.namespace });
      out.print(page.items.map((c) => `${c.name}\tv${c.latestVersion}`).join('\n') || '(no chains)', page);
    });

  chain.command('get <name>').description('show a chain version (default: latest)')
    .option('--version <n>', 'version', intFlag)
    .option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const v = await client.chains.get.query({ namespace: o.namespace, name, version: o.version ?? 'latest' });
      out.print(JSON.stringify(v, null, 2), v);
    });

  chain.command('versions <name>').description('list the versions of a chain').option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const versions = await client.chains.versions.query({ namespace: o.namespace, name });
      out.print(versions.map((v) => `v${v.version}\t${v.createdAt}\t${v.functions.join(', ')}`).join('\n'), versions);
    });

  chain.command('rm <name>').description('delete a chain').option('--namespace <ns>', 'namespace', 'default')
    .action(async (name: string, o) => {
      const { client, out } = ctx();
      const r = await client.chains.delete.mutate({ namespace: o.namespace, name });
      out.print(`deleted chain ${name}`, r);
    });
}

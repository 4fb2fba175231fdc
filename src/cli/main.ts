// The `caisson` command. The only place (with config/) that reads process.env.
// Client commands load only the client and commander: the server processes (Temporal's worker,
// Prisma, dockerode) and the full configuration schema are imported by the commands that run them.
import { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { createClient, describeClientError } from '../client/index.js';
import { loadClientEnv } from '../config/client-env.js';
import { registerDlqCommands } from './commands/dlq.commands.js';
import { registerChainCommands } from './commands/chain.commands.js';
import { registerFnCommands } from './commands/fn.commands.js';
import { registerInvokeCommands } from './commands/invoke.commands.js';
import { registerKeyCommands } from './commands/key.commands.js';
import { registerSecretCommands } from './commands/secret.commands.js';
import { CliError } from './cli-error.js';
import { registerAuditCommands } from './commands/audit.commands.js';
import { registerNamespaceCommands } from './commands/namespace.commands.js';
import { registerStackCommands } from './commands/stack.commands.js';
import { cliApiKey } from './credentials.js';
import { createOutput } from './output.js';

/** The network error code when the api could not be reached at all (nothing listening, no such host). */
function unreachableReason(err: unknown): string | undefined {
  const codes = /\b(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ETIMEDOUT)\b/;
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string' && codes.test(cause.code)) return cause.code;
  const m = err instanceof Error ? codes.exec(err.message) : null;
  return m?.[1];
}

/** What a server command (dev, api, worker) needs before it starts: the configuration and the Temporal runtime. */
async function serverSetup() {
  const [{ loadConfig }, { installTemporalRuntime }] = await Promise.all([
    import('../config/env.js'), import('../temporal/worker-lifecycle.js'),
  ]);
  installTemporalRuntime(process.env.CAISSON_TEMPORAL_LOG_LEVEL === 'INFO' ? 'INFO' : 'WARN');
  return loadConfig();
}

const program = new Command('caisson')
  .description('Durable functions on Temporal and Docker')
  .version(pkg.version, '-V, --version', 'print the version')
  .option('--json', 'machine-readable output')
  .option('--api <url>', 'api URL (default: CAISSON_API_URL or http://127.0.0.1:3000)');

function apiUrl(): string {
  return program.opts<{ api?: string }>().api ?? loadClientEnv().apiUrl;
}

function clientContext() {
  const opts = program.opts<{ json?: boolean }>();
  return { client: createClient(apiUrl(), { apiKey: cliApiKey(loadClientEnv()) }), out: createOutput(Boolean(opts.json)) };
}

/** Runs until SIGINT/SIGTERM, then stops cleanly (a second signal exits at once). */
async function untilSignal(stop: () => Promise<void>): Promise<void> {
  const { installCrashGuard } = await import('./processes/crash-guard.js');
  installCrashGuard();
  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`\n${sig}: stopping…`);
    stop().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

program.command('dev').description('run everything locally: Temporal dev server + Web UI, api, worker, embedded database')
  .action(async () => {
    const config = await serverSetup();
    const { startDev } = await import('./processes/dev.process.js');
    const dev = await startDev(config);
    console.log(`\nCaisson is running.\n  api:          ${dev.apiUrl}  (tRPC at ${dev.apiUrl}/trpc)\n  health:       ${dev.apiUrl}/healthz`);
    console.log(`  admin key:    ${config.auth.adminKeyFile}  (the CLI uses it when CAISSON_API_KEY is unset)`);
    if (dev.uiUrl) console.log(`  Temporal UI:  ${dev.uiUrl}`);
    console.log(`\nTry:  npx caisson fn deploy examples/hello-python --name hello\n      npx caisson invoke hello '{"name":"Ada"}'\nCtrl-C stops everything.`);
    await untilSignal(dev.stop);
  });

program.command('api').description('run the control plane: tRPC api + control worker (needs the database)')
  .action(async () => {
    const config = await serverSetup();
    const { startApi } = await import('./processes/api.process.js');
    const api = await startApi(config);
    await untilSignal(api.stop);
  });

program.command('worker').description('run a data-plane worker (needs Temporal and Docker, no database)')
  .action(async () => {
    const config = await serverSetup();
    const { startWorker } = await import('./processes/worker.process.js');
    const worker = await startWorker(config);
    await untilSignal(worker.stop);
  });

registerFnCommands(program, clientContext);
registerInvokeCommands(program, clientContext);
registerChainCommands(program, clientContext);
registerDlqCommands(program, clientContext);
registerSecretCommands(program, clientContext);
registerAuditCommands(program, clientContext);
registerNamespaceCommands(program, clientContext);
registerStackCommands(program);
registerKeyCommands(program, clientContext, {
  file: () => loadClientEnv().credentialsFile,
  clientWith: (apiKey) => createClient(apiUrl(), { apiKey }),
});

program.command('completion <shell>').description('print a shell completion script (bash or zsh): eval "$(caisson completion bash)"')
  .action(async (shell: string) => {
    if (shell !== 'bash' && shell !== 'zsh') throw new CliError('BAD_REQUEST', `completion: shell must be bash or zsh, got '${shell}'`);
    const { completionScript } = await import('./completion.js');
    process.stdout.write(completionScript(program, shell));
  });

program.parseAsync().catch((err: unknown) => {
  const out = createOutput(Boolean(program.opts().json));
  const described = describeClientError(err);
  const unreachable = unreachableReason(err);
  if (unreachable) {
    const url = apiUrl();
    out.error(`cannot reach the Caisson api at ${url} (${unreachable}). Start it with \`npm run dev\` (or \`caisson dev\`), `
      + 'or point --api / CAISSON_API_URL at a running one.', { code: 'UNAVAILABLE', url, reason: unreachable });
  } else if (err instanceof CliError) {
    out.error(`${err.code}: ${err.message}`, { code: err.code, message: err.message });
  } else if (described) {
    // A bad input's message already names each field and why (api/trpc.ts).
    out.error(`${described.code}: ${described.message}`, described);
  } else {
    out.error(err instanceof Error ? err.message : String(err));
  }
  process.exit(1);
});

// The `caisson` command tree: every command, option and description (main.ts parses argv with it;
// the CLI reference, docs/reference/cli.md, and the shell completion are made from it).
// Client commands load only the client and commander: the server processes (Temporal's worker,
// Prisma, dockerode) and the full configuration schema are imported by the commands that run them.
import { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { createClient } from '../client/index.js';
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
import { registerScheduleCommands } from './commands/schedule.commands.js';
import { registerStackCommands } from './commands/stack.commands.js';
import { cliApiKey } from './credentials.js';
import { createOutput } from './output.js';

/** What a server command (dev, api, worker) needs before it starts: the configuration and the Temporal runtime. */
async function serverSetup() {
  const [{ loadConfig }, { installTemporalRuntime }, sdkMetrics] = await Promise.all([
    import('../config/env.js'), import('../temporal/worker-lifecycle.js'), import('../observability/temporal-metrics.js'),
  ]);
  // The SDK's own metrics, on loopback, appended to this process's /metrics.
  const prometheusAddress = `127.0.0.1:${await sdkMetrics.freeLocalPort()}`;
  installTemporalRuntime(process.env.CAISSON_TEMPORAL_LOG_LEVEL === 'INFO' ? 'INFO' : 'WARN', { prometheusAddress });
  sdkMetrics.setTemporalMetricsAddress(prometheusAddress);
  return loadConfig();
}

export const program = new Command('caisson')
  .description('Durable functions on Temporal and Docker')
  .version(pkg.version, '-V, --version', 'print the version')
  .option('--json', 'machine-readable output')
  .option('--api <url>', 'api URL (default: CAISSON_API_URL or http://127.0.0.1:3000)');

export function apiUrl(): string {
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
    console.log(`  dashboard:    ${dev.apiUrl}/ui/  (log in with the admin key)`);
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
registerScheduleCommands(program, clientContext);
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


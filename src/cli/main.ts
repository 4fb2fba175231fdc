// The `caisson` command. The only place (with config/) that reads process.env.
import { Command } from 'commander';
import { createClient, describeClientError } from '../client/index.js';
import { loadConfig } from '../config/env.js';
import { registerDlqCommands } from './commands/dlq.commands.js';
import { registerChainCommands } from './commands/chain.commands.js';
import { registerFnCommands } from './commands/fn.commands.js';
import { registerInvokeCommands } from './commands/invoke.commands.js';
import { registerKeyCommands } from './commands/key.commands.js';
import { registerSecretCommands } from './commands/secret.commands.js';
import { registerAuditCommands } from './commands/audit.commands.js';
import { registerNamespaceCommands } from './commands/namespace.commands.js';
import { cliApiKey } from './credentials.js';
import { createOutput } from './output.js';
import { startApi } from './processes/api.process.js';
import { startDev } from './processes/dev.process.js';
import { startWorker } from './processes/worker.process.js';
import { installTemporalRuntime } from '../temporal/worker-lifecycle.js';
import { installCrashGuard } from './processes/crash-guard.js';

installTemporalRuntime(process.env.CAISSON_TEMPORAL_LOG_LEVEL === 'INFO' ? 'INFO' : 'WARN');

const program = new Command('caisson')
  .description('Durable functions on Temporal and Docker')
  .option('--json', 'machine-readable output')
  .option('--api <url>', 'api URL (default: CAISSON_API_URL or http://127.0.0.1:3000)');

function apiUrl(): string {
  return program.opts<{ api?: string }>().api ?? loadConfig().api.url;
}

function clientContext() {
  const opts = program.opts<{ json?: boolean }>();
  return { client: createClient(apiUrl(), { apiKey: cliApiKey(loadConfig().auth) }), out: createOutput(Boolean(opts.json)) };
}

/** Runs until SIGINT/SIGTERM, then stops cleanly (a second signal exits at once). */
function untilSignal(stop: () => Promise<void>): void {
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
    const config = loadConfig();
    const dev = await startDev(config);
    console.log(`\nCaisson is running.\n  api:          ${dev.apiUrl}  (tRPC at ${dev.apiUrl}/trpc)\n  health:       ${dev.apiUrl}/healthz`);
    console.log(`  admin key:    ${config.auth.adminKeyFile}  (the CLI uses it when CAISSON_API_KEY is unset)`);
    if (dev.uiUrl) console.log(`  Temporal UI:  ${dev.uiUrl}`);
    console.log(`\nTry:  npx caisson fn deploy examples/hello-python --name hello\n      npx caisson invoke hello '{"name":"Ada"}'\nCtrl-C stops everything.`);
    untilSignal(dev.stop);
  });

program.command('api').description('run the control plane: tRPC api + control worker (needs the database)')
  .action(async () => {
    const api = await startApi(loadConfig());
    untilSignal(api.stop);
  });

program.command('worker').description('run a data-plane worker (needs Temporal and Docker, no database)')
  .action(async () => {
    const worker = await startWorker(loadConfig());
    untilSignal(worker.stop);
  });

registerFnCommands(program, clientContext);
registerInvokeCommands(program, clientContext);
registerChainCommands(program, clientContext);
registerDlqCommands(program, clientContext);
registerSecretCommands(program, clientContext);
registerAuditCommands(program, clientContext);
registerNamespaceCommands(program, clientContext);
registerKeyCommands(program, clientContext, {
  file: () => loadConfig().auth.credentialsFile,
  clientWith: (apiKey) => createClient(apiUrl(), { apiKey }),
});

program.parseAsync().catch((err: unknown) => {
  const out = createOutput(Boolean(program.opts().json));
  const described = describeClientError(err);
  if (described) {
    // A bad input's message already names each field and why (api/trpc.ts).
    out.error(`${described.code}: ${described.message}`, described);
  } else {
    out.error(err instanceof Error ? err.message : String(err));
  }
  process.exit(1);
});

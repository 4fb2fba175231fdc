// caisson stack up|down|status: the production topology natively on this machine (Temporal server
// on PostgreSQL, its Web UI, two apis, two workers on two Docker engines), run by
// scripts/stack/stack.sh from a checkout of the repository (it builds and starts system services).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';

/** The same from src/cli/commands and dist/cli/commands: three levels up is the checkout. */
const STACK_SCRIPT = fileURLToPath(new URL('../../../scripts/stack/stack.sh', import.meta.url));

function runStackScript(args: string[]): Promise<void> {
  if (!existsSync(STACK_SCRIPT)) throw new CliError('UNAVAILABLE', `caisson stack needs a checkout of the repository (${STACK_SCRIPT} missing)`);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [STACK_SCRIPT, ...args], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new CliError('STACK_FAILED', `stack ${args.join(' ')} exited with ${code} (logs under .caisson/stack/logs/)`));
    });
  });
}

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('the production topology on this machine: Temporal server, 2 apis, 2 workers on 2 Docker engines');
  stack.command('up').description('build what is missing and start every process (logs under .caisson/stack/logs/)')
    .action(() => runStackScript(['up']));
  stack.command('down').description('stop every process of the stack (PostgreSQL and its databases stay)')
    .action(() => runStackScript(['down']));
  stack.command('status').description('each process and each api\'s /healthz')
    .action(() => runStackScript(['status']));
}

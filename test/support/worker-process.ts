// A data-plane worker as a separate OS process (`node bin/caisson.js worker`), so a test
// can SIGKILL it mid-invocation and start it again, as a crash would.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestStack } from './stack.js';

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnWorkerProcess(stack: TestStack, extraEnv: Record<string, string> = {}): Promise<WorkerProcess> {
  const { config } = stack;
  const child = spawn(process.execPath, ['bin/caisson.js', 'worker'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      CAISSON_HOME: config.home,
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
      CAISSON_TASK_QUEUE: config.temporal.taskQueue,
      CAISSON_WORKER_ID: stack.workerId,
      CAISSON_API_URL: config.api.url,
      CAISSON_WORKER_TOKEN: stack.api.workerToken,
      CAISSON_WARM_GENERIC: String(config.worker.warm.genericPerImage), // as the stack's own worker
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // Ready once it says it polls its queues.
  const deadline = Date.now() + 60_000;
  while (!out.includes('polling')) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`worker did not start within 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => out,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

// The stack tests' topology: `scripts/stack/stack.sh up` (idempotent: a stack already up is used
// as it is), and `down` afterwards unless it was up before the tests. Tests read its connection
// details from .caisson/stack/stack.env (test/stack/stack-env.ts).
import { spawnSync } from 'node:child_process';

function stack(...args: string[]): number {
  const r = spawnSync('bash', ['scripts/stack/stack.sh', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  return r.status ?? 1;
}

export default function setup() {
  const wasUp = spawnSync('bash', ['scripts/stack/stack.sh', 'status'], { stdio: 'ignore' }).status === 0;
  if (stack('up') !== 0) throw new Error('scripts/stack/stack.sh up failed (logs under .caisson/stack/logs/)');
  return () => {
    if (!wasUp && !process.env.CAISSON_STACK_KEEP) stack('down');
  };
}

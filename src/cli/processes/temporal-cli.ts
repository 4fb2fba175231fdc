// Finds the Temporal CLI the set-up installed: $TEMPORAL_CLI, .caisson/tools, then PATH.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findTemporalCli(home: string, env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    env.TEMPORAL_CLI,
    join(home, 'tools', 'temporal-venv', 'bin', 'temporal'),
    ...(env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'temporal')),
  ];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error('no Temporal CLI found: run `npm run setup` (or set TEMPORAL_CLI)');
  return found;
}

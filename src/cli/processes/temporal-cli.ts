// Finds the Temporal CLI the set-up installed: $TEMPORAL_CLI, .caisson/tools, then PATH.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where scripts/setup/temporal-cli.sh installs it when CAISSON_HOME is the default. */
const REPO_TOOLS = fileURLToPath(new URL('../../../.caisson/tools', import.meta.url));

export function findTemporalCli(home: string, env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    env.TEMPORAL_CLI,
    join(home, 'tools', 'temporal-venv', 'bin', 'temporal'),
    join(REPO_TOOLS, 'temporal-venv', 'bin', 'temporal'),
    ...(env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'temporal')),
  ];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error('no Temporal CLI found: run `npm run setup` (or set TEMPORAL_CLI)');
  return found;
}

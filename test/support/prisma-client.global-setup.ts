// The unit project needs the generated Prisma client (gitignored) for the modules that import
// the db layer: generated here when missing or stale, so `vitest run --project unit` works on
// a fresh clone with no set-up step. Idempotent and offline, ~1 s when it has to generate.
import { execFileSync } from 'node:child_process';

export default function setup() {
  execFileSync('bash', ['scripts/db/generate.sh'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

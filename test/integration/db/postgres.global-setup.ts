// Vitest globalSetup: makes a real PostgreSQL server available (installing and starting
// Debian's cluster if needed, see scripts/db/postgres-test-server.sh) and hands its URL
// to the test workers as CAISSON_TEST_DATABASE_URL.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  if (process.env['CAISSON_TEST_DATABASE_URL']) return;
  const script = fileURLToPath(new URL('../../../scripts/db/postgres-test-server.sh', import.meta.url));
  const url = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  process.env['CAISSON_TEST_DATABASE_URL'] = url;
}

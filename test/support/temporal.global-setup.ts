// One Temporal dev server (the real one, from the installed CLI) for the integration and
// e2e suites: in memory, on a free port. Tests get its address with inject('temporalAddress').
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { findTemporalCli } from '../../src/cli/processes/temporal-cli.js';
import { freePort } from './ports.js';

let server: DevServer | undefined;

export default async function setup(project: TestProject) {
  const home = join(process.cwd(), '.caisson');
  server = await startDevServer({
    cli: findTemporalCli(home),
    port: await freePort(),
    namespace: 'default',
    logFile: join(home, 'logs', 'temporal-test.log'),
  });
  project.provide('temporalAddress', server.address);
  return async () => {
    await server?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

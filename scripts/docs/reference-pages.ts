// The generated reference pages and what each is made from: `npm run docs` writes them, and
// test/unit/docs-reference.test.ts fails when a committed page differs from what the code makes.
import { appRouter } from '../../src/api/routers/_app.js';
import { program } from '../../src/cli/program.js';
import { EnvSchema } from '../../src/config/env.js';
import { apiReference } from './api-reference.js';
import { cliReference } from './cli-reference.js';
import { configReference } from './config-reference.js';

export const ENV_SOURCE = 'src/config/env.ts';

/** Path (from the repo root) → the page's text, made now from the code. */
export function referencePages(): Record<string, string> {
  return {
    'docs/reference/cli.md': cliReference(program),
    'docs/reference/api.md': apiReference(appRouter as never),
    'docs/reference/configuration.md': configReference(EnvSchema, ENV_SOURCE),
  };
}

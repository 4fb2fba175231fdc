// The reference pages are generated from the code (scripts/docs): a page that no longer matches
// what the code makes fails here, with the command that regenerates it.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../../src/config/env.js';
import { undocumentedVariables } from '../../scripts/docs/config-reference.js';
import { brokenLinks } from '../../scripts/docs/links.js';
import { ENV_SOURCE, referencePages } from '../../scripts/docs/reference-pages.js';

describe('generated reference pages', () => {
  const pages = referencePages();

  it.each(Object.keys(pages))('%s matches the code (run `npm run docs` after changing it)', (path) => {
    let committed = '';
    try {
      committed = readFileSync(path, 'utf8');
    } catch {
      committed = '(missing)';
    }
    expect(committed, `${path} is out of date: run \`npm run docs\``).toBe(pages[path]);
  });

  it('every configuration variable says what it means', () => {
    expect(undocumentedVariables(EnvSchema, ENV_SOURCE)).toEqual([]);
  });

  it('the pages name what they document', () => {
    expect(pages['docs/reference/cli.md']).toContain('#### `fn deploy`');
    expect(pages['docs/reference/api.md']).toContain('### `invocations.invoke`');
    expect(pages['docs/reference/configuration.md']).toContain('| `CAISSON_MAX_PAYLOAD_BYTES` | integer, ≥ 0 | `6291456` (6 MiB) |');
  });
});

describe('links in the docs', () => {
  it('every relative link names a file and a heading that exist', () => {
    const pages = ['README.md', 'runtime-images/README.md',
      ...readdirSync('docs', { recursive: true }).map(String).filter((p) => p.endsWith('.md')).map((p) => `docs/${p}`)];
    expect(brokenLinks(process.cwd(), pages)).toEqual([]);
  });
});

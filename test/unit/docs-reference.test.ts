// The reference pages are generated from the code (scripts/docs): a page that no longer matches
// what the code makes fails here, with the command that regenerates it. Links must lead somewhere,
// and every shell block must be marked to run (test/e2e/, test/stack/docs-commands.test.ts) or say why not.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../../src/config/env.js';
import { undocumentedVariables } from '../../scripts/docs/config-reference.js';
import { brokenLinks } from '../../scripts/docs/links.js';
import { expectedOutputs, fenceProblem, missingOutput, runnableBlocks, unmarkedFences } from '../../scripts/docs/runnable-blocks.js';
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

describe('shell blocks in the docs', () => {
  it('every one is run by a test or says why not, and every fence names its language', () => {
    expect(unmarkedFences(process.cwd())).toEqual([]);
  });

  it.each([
    ['sh run', true],
    ['sh run-stack', true],
    ['bash run', true],
    ['sh norun: needs a second machine', true],
    ['ts', true],
    ['text', true],
    ['sh', false],
    ['bash', false],
    ['console', false],
    ['shell run', false],
    ['sh norun:', false],
    ['sh norun: slow', false],
    ['sh runn', false],
    ['', false],
  ])('the fence `%s` is allowed: %s', (info, allowed) => {
    expect(fenceProblem(info) === undefined).toBe(allowed);
  });

  it('a runnable block shows its output after an arrow, checked in order and whitespace aside', () => {
    const script = [
      `caisson invoke hello '{"name":"Ada"}'   # → {"message": "Hello, Ada!"}`,
      `curl -s x -d '{"a":1}'   # the function's answer, at once → 202`,
      `echo 'not # a comment → no' "nor # this → no" # a plain comment`,
      'echo a#b → no',
    ].join('\n');
    expect(expectedOutputs(script)).toEqual(['{"message": "Hello, Ada!"}', '202']);
    expect(missingOutput('{\n  "message": "Hello, Ada!"\n}\n202\n', ['{"message": "Hello, Ada!"}', '202'])).toBeUndefined();
    expect(missingOutput('202\n{"message": "Hello, Ada!"}', ['{"message": "Hello, Ada!"}', '202'])).toBe('202');
    expect(missingOutput('{"message": "Hello, Bob!"}', ['{"message": "Hello, Ada!"}'])).toBe('{"message": "Hello, Ada!"}');
  });

  it('blocks are picked by their mark, with the line they start on', () => {
    const page = '# P\n\n```sh run\necho a\n```\n\n```sh run-stack\necho b\n```\n\n````sh norun: needs a second machine\necho c\n````\n';
    expect(runnableBlocks('p.md', page, 'run')).toEqual([{ page: 'p.md', line: 4, script: 'echo a', expected: [] }]);
    expect(runnableBlocks('p.md', page, 'run-stack').map((b) => b.script)).toEqual(['echo b']);
  });
});

// The unused-export check of `npm run lint` (scripts/lint/unused-exports.ts) on a small fixture
// repository: an export nothing imports is named with its line; one imported by a test, one
// used in its own module's signatures and one of a module imported whole are not.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unusedExports } from '../../../scripts/lint/unused-exports.js';

describe('unused exports', () => {
  it('names the exports of src/ that nothing imports, and only those', () => {
    const repo = path.join(import.meta.dirname, '..', '..', 'fixtures', 'unused-exports');
    expect(unusedExports(repo, ['tsconfig.json'])).toEqual(['src/lib.ts:3  neverImported', 'src/lib.ts:6  NeverImportedType']);
  });
});

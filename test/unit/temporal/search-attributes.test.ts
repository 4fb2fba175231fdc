import { describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTE_FLAGS, SEARCH_ATTRIBUTE_TYPES } from '../../../src/temporal/search-attributes.js';

describe('search attributes', () => {
  it('the dev server flags and the operator service types name the same attributes, typed alike', () => {
    const flags = SEARCH_ATTRIBUTE_FLAGS.filter((_, i) => i % 2 === 1);
    expect(flags).toEqual(['CaissonFunction=Keyword', 'CaissonVersion=Int', 'CaissonNamespace=Keyword', 'CaissonOutcome=Keyword', 'CaissonStart=Keyword', 'CaissonSchedule=Keyword']);
    expect(SEARCH_ATTRIBUTE_TYPES).toEqual({ CaissonFunction: 2, CaissonVersion: 3, CaissonNamespace: 2, CaissonOutcome: 2, CaissonStart: 2, CaissonSchedule: 2 });
  });
});

// The api's stand-ins for the workflows carry the names the worker registers the real ones under.
import { describe, expect, it } from 'vitest';
import * as refs from '../../../src/api/workflow-refs.js';
import * as workflows from '../../../src/workflows/index.js';

describe('workflow refs', () => {
  it.each(Object.keys(workflows))('%s is started under the name the worker registers', (name) => {
    const ref = (refs as Record<string, unknown>)[name];
    expect(typeof ref).toBe('function');
    expect((ref as () => unknown).name).toBe((workflows as Record<string, unknown>)[name] instanceof Function && ((workflows as Record<string, unknown>)[name] as () => unknown).name);
  });

  it('refuses to run as a function', () => {
    expect(() => (refs.invokeFunction as unknown as () => void)()).toThrow(/is a workflow/);
  });
});

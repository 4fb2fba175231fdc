// The label values metrics take from user input stay a bounded set.
import { describe, expect, it } from 'vitest';
import { routeLabel } from '../../../src/api/metrics-endpoint.js';
import { createLabelCap, OTHER } from '../../../src/observability/label-cap.js';

describe('createLabelCap', () => {
  it('keeps the first max function label sets and counts later ones under _other', () => {
    const cap = createLabelCap(2);
    expect(cap.labels('a', 'f', 1)).toEqual({ namespace: 'a', function: 'f', version: '1' });
    expect(cap.labels('a', 'g', 1)).toEqual({ namespace: 'a', function: 'g', version: '1' });
    expect(cap.labels('a', 'h', 1)).toEqual({ namespace: OTHER, function: OTHER, version: OTHER });
    // A set already seen keeps its own labels after the cap is reached.
    expect(cap.labels('a', 'f', 1)).toEqual({ namespace: 'a', function: 'f', version: '1' });
    expect(cap.size()).toBe(2);
  });
});

describe('routeLabel', () => {
  it.each([
    ['/trpc/invocations.invoke', 'invocations.invoke'],
    ['/trpc/functions.list,functions.get', 'batch'],
    ['/trpc/made.up', 'unknown'],
    ['/trpc/', 'unknown'],
    ['/healthz', '/healthz'],
    ['/metrics', '/metrics'],
    ['/blobs/abc', '/blobs'],
    ['/artifacts/live', '/artifacts'],
    ['/codec/decode', '/codec'],
    ['/wp-admin/x', 'unknown'],
  ])('%s → %s', (path, label) => {
    expect(routeLabel(path)).toBe(label);
  });
});

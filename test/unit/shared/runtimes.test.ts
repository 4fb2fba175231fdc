import { describe, expect, it } from 'vitest';
import manifest from '../../../runtime-images/images.json' with { type: 'json' };
import { buildImageFor, imageFor } from '../../../src/runtime/docker/images.js';
import {
  CONCRETE_RUNTIMES, normalizeRuntimeName, resolveRequestedRuntime, runtimeFamily, runtimeVersion, storedRuntime,
} from '../../../src/shared/runtimes.js';
import { RuntimeSchema } from '../../../src/shared/types.js';

describe('runtime names', () => {
  it.each([
    ['nodejs22.x', 'nodejs22'], ['nodejs22', 'nodejs22'], ['node22', 'nodejs22'], ['NodeJS20.x', 'nodejs20'],
    ['node', 'node'], ['nodejs', 'node'], ['nodejs18.x', 'nodejs18'], ['nodejs24', 'nodejs24'],
    ['python3.13', 'python3.13'], [' python3.14 ', 'python3.14'], ['python', 'python'], ['python3.11', 'python3.11'],
    ['go', 'go'], ['go1.x', 'go'],
  ])('%s is %s', (input, name) => {
    expect(normalizeRuntimeName(input)).toBe(name);
    expect(RuntimeSchema.parse(input)).toBe(name);
  });

  it.each(['nodejs16.x', 'node21', 'python3.12', 'python3', 'python2.7', 'ruby3.3', 'java21', 'go1.22', '', 'nodejs22.y'])('%j names no runtime', (input) => {
    expect(normalizeRuntimeName(input)).toBeUndefined();
    expect(RuntimeSchema.safeParse(input).success).toBe(false);
  });

  it.each([
    ['python3.13', 'python', '3.13'], ['python3.14', 'python', '3.14'], ['nodejs22', 'node', '22'], ['nodejs24', 'node', '24'],
    ['go', 'go', 'go.mod'], ['python', 'python', '3.11'], ['node', 'node', '18'],
  ] as const)('%s: family %s, version %s', (runtime, family, version) => {
    expect(runtimeFamily(runtime)).toBe(family);
    expect(runtimeVersion(runtime)).toBe(version);
  });

  it('a bare family asks for the newest at deploy, and means what it meant when stored', () => {
    expect(resolveRequestedRuntime('node')).toBe('nodejs24');
    expect(resolveRequestedRuntime('python')).toBe('python3.14');
    expect(resolveRequestedRuntime('nodejs20')).toBe('nodejs20');
    expect(storedRuntime('node')).toBe('nodejs18');
    expect(storedRuntime('python')).toBe('python3.11');
    expect(storedRuntime('python3.13')).toBe('python3.13');
  });

  it('every concrete runtime has a runtime image and a build image in images.json', () => {
    expect(Object.keys(manifest.runtimes).sort()).toEqual([...CONCRETE_RUNTIMES].sort());
    for (const r of CONCRETE_RUNTIMES) {
      expect(imageFor(r)).toMatch(/^caisson-runtime-[a-z0-9]+:\d+$/);
      expect(buildImageFor(runtimeFamily(r) === 'go' ? 'go' : runtimeFamily(r) === 'python' ? 'python-deps' : 'node-deps', r)).toMatch(/^caisson-build-/);
    }
  });

  it('the images of today keep their names: a stored bare family runs where it always ran', () => {
    expect(imageFor('node')).toBe('caisson-runtime-node:1');
    expect(imageFor('nodejs18')).toBe('caisson-runtime-node:1');
    expect(imageFor('python')).toBe('caisson-runtime-python:1');
    expect(imageFor('nodejs22')).toBe('caisson-runtime-node22:1');
    expect(imageFor('python3.14')).toBe('caisson-runtime-python314:1');
    expect(buildImageFor('node-deps')).toBe('caisson-build-node:1');
    expect(buildImageFor('python-deps', 'python3.13')).toBe('caisson-build-python313:1');
    expect(buildImageFor('go', 'go')).toBe('caisson-build-go-forky:1');
  });
});

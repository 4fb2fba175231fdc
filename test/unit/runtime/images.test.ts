import { describe, expect, it } from 'vitest';
import manifest from '../../../runtime-images/images.json' with { type: 'json' };
import { allImages, buildImageFor, imageFor } from '../../../src/runtime/docker/images.js';

const images = manifest.images as Record<string, { name: string; tag?: string }>;
const expected = (key: string) => `${images[key]!.name}:${images[key]!.tag ?? manifest.tag}`;

describe('image references from images.json', () => {
  it('an image\'s own tag overrides the common one', () => {
    expect(imageFor('go')).toBe(expected('go'));
    expect(buildImageFor('go')).toBe(expected('go-build-forky'));
    expect(imageFor('python')).toBe(expected('python'));
    expect(allImages()).toEqual(Object.keys(images).map(expected));
  });
});

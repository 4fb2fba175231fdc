// Runtime image names, read from runtime-images/images.json (the one place tags are defined).
import type { Runtime } from '../shared/types.js';
import manifest from '../../runtime-images/images.json' with { type: 'json' };

interface ImageEntry {
  name: string;
  dir: string;
  /** This image's tag, when it differs from the common one. */
  tag?: string;
}

const images = manifest.images as Record<string, ImageEntry | undefined>;

function ref(key: string): string {
  const entry = images[key];
  if (!entry) throw new Error(`runtime-images/images.json has no image '${key}'`);
  return `${entry.name}:${entry.tag ?? manifest.tag}`;
}

/** The image that runs functions of this runtime, e.g. imageFor('python') → 'caisson-runtime-python:1'. */
export function imageFor(runtime: Runtime): string {
  return ref(runtime);
}

/** The image that compiles Go functions ahead of time. */
export function goBuildImage(): string {
  return ref('go-build');
}

/** The image that builds functions of this kind at deploy time (Go compile, pip, npm). */
export function buildImageFor(kind: 'go' | 'python-deps' | 'node-deps'): string {
  return ref({ go: 'go-build', 'python-deps': 'python-build', 'node-deps': 'node-build' }[kind]);
}

/** Every image Caisson needs, for `caisson dev` / pre-pull. */
export function allImages(): string[] {
  return Object.keys(images).map(ref);
}

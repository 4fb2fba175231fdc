// Runtime image names, read from runtime-images/images.json (the one place tags are defined).
import { storedRuntime, type Runtime } from '../../shared/runtimes.js';
import manifest from '../../../runtime-images/images.json' with { type: 'json' };

interface ImageEntry {
  name: string;
  dir: string;
  /** This image's tag, when it differs from the common one. */
  tag?: string;
}

const images = manifest.images as Record<string, ImageEntry | undefined>;
const runtimes = manifest.runtimes as Record<string, { image: string; build: string } | undefined>;

function ref(key: string): string {
  const entry = images[key];
  if (!entry) throw new Error(`runtime-images/images.json has no image '${key}'`);
  return `${entry.name}:${entry.tag ?? manifest.tag}`;
}

function imagesOf(runtime: Runtime): { image: string; build: string } {
  const concrete = storedRuntime(runtime);
  const entry = runtimes[concrete];
  if (!entry) throw new Error(`runtime-images/images.json has no runtime '${concrete}'`);
  return entry;
}

/** The image that runs functions of this runtime, e.g. imageFor('python3.13') →
 * 'caisson-runtime-python313:1'. A bare family is a stored version's: imageFor('node') is Node 18's. */
export function imageFor(runtime: Runtime): string {
  return ref(imagesOf(runtime).image);
}

/** The image that compiles Go functions ahead of time. */
export function goBuildImage(): string {
  return ref('go-build');
}

const KIND_FAMILY = { go: 'go', 'python-deps': 'python', 'node-deps': 'node' } as const;

/** The image that builds functions of this kind at deploy time (Go compile, pip, npm): the
 * runtime's own Python or Node.js, so installed packages match what runs them (no runtime:
 * the bare family's, as for a stored version). */
export function buildImageFor(kind: keyof typeof KIND_FAMILY, runtime: Runtime = KIND_FAMILY[kind]): string {
  return ref(imagesOf(runtime).build);
}

/** Every image Caisson needs, for `caisson dev` / pre-pull. */
export function allImages(): string[] {
  return Object.keys(images).map(ref);
}

// Runtime names: a runtime is a (family, version) pair. The family (python | node | go)
// decides conventions, warm server, build kind and detection; the version picks the image
// (runtime-images/images.json maps each concrete runtime to its images). Pure and zod-free:
// the workflow bundle imports it.

export const RUNTIME_FAMILIES = ['python', 'node', 'go'] as const;
export type RuntimeFamily = (typeof RUNTIME_FAMILIES)[number];

/** Every concrete runtime. Go has one: the toolchain follows the function's go.mod at build. */
export const RUNTIME_VERSIONS = {
  'python3.11': { family: 'python', version: '3.11' },
  'python3.13': { family: 'python', version: '3.13' },
  'python3.14': { family: 'python', version: '3.14' },
  nodejs18: { family: 'node', version: '18' },
  nodejs20: { family: 'node', version: '20' },
  nodejs22: { family: 'node', version: '22' },
  nodejs24: { family: 'node', version: '24' },
  go: { family: 'go', version: 'go.mod' },
} as const satisfies Record<string, { family: RuntimeFamily; version: string }>;
export type ConcreteRuntime = keyof typeof RUNTIME_VERSIONS;
export const CONCRETE_RUNTIMES = Object.keys(RUNTIME_VERSIONS) as ConcreteRuntime[];

/** A runtime as written in a request or a stored spec: a concrete runtime or a bare family. */
export type Runtime = ConcreteRuntime | RuntimeFamily;
/** The names a request may give (normalizeRuntimeName): canonical, or Lambda's and short aliases. */
export type RuntimeRequestName = Runtime | `nodejs${number}.x` | `node${number}` | 'go1.x';
/** The canonical names, bare families first (what --runtime and the api accept, besides aliases). */
export const RUNTIME_NAMES = [...new Set<Runtime>([...RUNTIME_FAMILIES, ...CONCRETE_RUNTIMES])] as readonly Runtime[];

/** What a bare family means in a deploy request: the newest version. Resolved once, at deploy,
 * and stored concrete, so a version never moves to another major by itself. */
export const NEWEST_RUNTIME: Readonly<Record<RuntimeFamily, ConcreteRuntime>> = { python: 'python3.14', node: 'nodejs24', go: 'go' };

/** What a bare family stored by a version deployed before runtime versions existed ran on
 * (and still runs on): those images kept their names (caisson-runtime-python:1, -node:1). */
export const LEGACY_RUNTIME: Readonly<Record<RuntimeFamily, ConcreteRuntime>> = { python: 'python3.11', node: 'nodejs18', go: 'go' };

/**
 * The canonical name of a runtime as a user may write it, or undefined when it names none:
 * Lambda's `nodejs22.x`, `nodejs22`, `node22`, `node`; `python3.13`, `python`; `go`, `go1.x`.
 */
export function normalizeRuntimeName(input: string): Runtime | undefined {
  const s = input.trim().toLowerCase();
  const node = /^node(?:js)?(\d+)?(?:\.x)?$/.exec(s);
  const name = node ? (node[1] ? `nodejs${node[1]}` : 'node') : s === 'go1.x' ? 'go' : s;
  return (RUNTIME_NAMES as readonly string[]).includes(name) ? (name as Runtime) : undefined;
}

/** The family of a runtime name: its prefix (cheap enough for every hot path). */
export function runtimeFamily(runtime: Runtime): RuntimeFamily {
  if (runtime.startsWith('python')) return 'python';
  if (runtime.startsWith('node')) return 'node';
  return 'go';
}

/** The concrete runtime a deploy request asks for: a bare family is the newest. */
export function resolveRequestedRuntime(runtime: Runtime): ConcreteRuntime {
  return isFamily(runtime) ? NEWEST_RUNTIME[runtime] : runtime;
}

/** The concrete runtime a stored version runs on: a bare family (stored before versions
 * existed) is what that family meant then. */
export function storedRuntime(runtime: Runtime): ConcreteRuntime {
  return isFamily(runtime) ? LEGACY_RUNTIME[runtime] : runtime;
}

/** The version part shown to users (`3.13`, `22`; Go: `go.mod`). */
export function runtimeVersion(runtime: Runtime): string {
  return RUNTIME_VERSIONS[storedRuntime(runtime)].version;
}

function isFamily(runtime: Runtime): runtime is RuntimeFamily {
  return (RUNTIME_FAMILIES as readonly string[]).includes(runtime) && !(runtime in RUNTIME_VERSIONS);
}

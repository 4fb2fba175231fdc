// The path syntax of chain data mappings, and the deploy-time checks of a definition.
// Pure and deterministic: used by the api (validation), the runChain workflow and its activities.
//
// A mapping is any JSON value; each string in it that starts with `$` is a path:
//   $.input[.a.b[0]]            the chain's input
//   $.steps.<step>.output[...]  the output of an earlier step (parallel: keyed by branch;
//                               map: an array in input order)
//   $.item, $.index             inside a map step's input: the element and its position
// `$$text` is the literal string `$text`. Everything else is taken as written.
import { ValidationError } from './errors.js';
import type { ChainDefinition, Step } from './chain.js';

export type PathRoot = 'input' | 'steps' | 'item' | 'index';
export interface ParsedPath {
  text: string;
  root: PathRoot;
  /** For root `steps`: the step named. */
  step?: string;
  /** Segments after `$.input`, `$.steps.<step>.output`, `$.item`. */
  rest: Array<string | number>;
}

export interface PathContext {
  input: unknown;
  steps: Record<string, unknown>;
  item?: unknown;
  index?: number;
}

/** A mapping could not be evaluated against the data it got (e.g. a missing field). */
export class MappingError extends Error {
  override name = 'MappingError';
}

export const isPath = (v: unknown): v is string => typeof v === 'string' && v.startsWith('$') && !v.startsWith('$$');

/** One segment; a sticky regex has state (lastIndex), so each parse makes its own. */
const SEGMENT_SOURCE = String.raw`\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d{1,9})\]`;
const ROOT_HINT = 'a path starts with $.input, $.steps.<step>.output, $.item or $.index';

/** Parses one path; throws MappingError saying what is wrong. */
export function parsePath(text: string): ParsedPath {
  if (!text.startsWith('$')) throw new MappingError(`'${text}' is not a path (${ROOT_HINT})`);
  const segments: Array<string | number> = [];
  const segment = new RegExp(SEGMENT_SOURCE, 'y');
  segment.lastIndex = 1;
  while (segment.lastIndex < text.length) {
    const at = segment.lastIndex;
    const m = segment.exec(text);
    if (!m) throw new MappingError(`'${text}': cannot read '${text.slice(at)}' (use .name or [index])`);
    segments.push(m[1] ?? Number(m[2]));
  }
  const [root, ...rest] = segments;
  if (root === 'input' || root === 'item') return { text, root, rest };
  if (root === 'index') {
    if (rest.length) throw new MappingError(`'${text}': $.index is a number and has no fields`);
    return { text, root, rest };
  }
  if (root === 'steps') {
    const [step, output, ...tail] = rest;
    if (typeof step !== 'string' || output !== 'output') {
      throw new MappingError(`'${text}': a step's data is $.steps.<step>.output`);
    }
    return { text, root, step, rest: tail };
  }
  throw new MappingError(`'${text}': ${ROOT_HINT}`);
}

/** Every path string in a mapping, parsed. */
export function pathsIn(mapping: unknown): ParsedPath[] {
  const out: ParsedPath[] = [];
  const walk = (v: unknown): void => {
    if (isPath(v)) out.push(parsePath(v));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(mapping);
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'object' ? `an object with keys ${Object.keys(v as object).slice(0, 8).join(', ') || '(none)'}` : `a ${typeof v}`;
}

export function resolvePath(path: ParsedPath, ctx: PathContext): unknown {
  let value: unknown;
  switch (path.root) {
    case 'input': value = ctx.input; break;
    case 'item': value = ctx.item; break;
    case 'index': return ctx.index;
    case 'steps':
      if (!(path.step! in ctx.steps)) throw new MappingError(`'${path.text}': step '${path.step}' has no output yet`);
      value = ctx.steps[path.step!];
      break;
  }
  for (const seg of path.rest) {
    if (typeof seg === 'number') {
      if (!Array.isArray(value) || seg >= value.length) throw new MappingError(`'${path.text}': no [${seg}] in ${describe(value)}`);
      value = value[seg];
    } else {
      if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, seg)) {
        throw new MappingError(`'${path.text}': no '${seg}' in ${describe(value)}`);
      }
      value = (value as Record<string, unknown>)[seg];
    }
  }
  return value;
}

/** The mapping with every path replaced by its value. */
export function evaluateMapping(mapping: unknown, ctx: PathContext): unknown {
  if (typeof mapping === 'string') {
    if (mapping.startsWith('$$')) return mapping.slice(1);
    return mapping.startsWith('$') ? resolvePath(parsePath(mapping), ctx) : mapping;
  }
  if (Array.isArray(mapping)) return mapping.map((m) => evaluateMapping(m, ctx));
  if (mapping && typeof mapping === 'object') {
    return Object.fromEntries(Object.entries(mapping).map(([k, v]) => [k, evaluateMapping(v, ctx)]));
  }
  return mapping;
}

/** A step's input when the definition gives none: the previous step's output (first: the chain input). */
export function defaultInput(def: ChainDefinition, index: number): string {
  const previous = def.steps[index - 1];
  return previous ? `$.steps.${previous.name}.output` : '$.input';
}

/** The input mapping of each call of a step (map: per element; default `$.item`). */
export function inputMappings(def: ChainDefinition, index: number): Array<{ unit?: string; mapping: unknown }> {
  const step = def.steps[index]!;
  const fallback = defaultInput(def, index);
  switch (step.type) {
    case 'function': return [{ mapping: step.input ?? fallback }];
    case 'parallel': return Object.entries(step.parallel).map(([unit, c]) => ({ unit, mapping: c.input ?? fallback }));
    case 'map': return [{ mapping: step.map.input ?? '$.item' }];
  }
}

/**
 * Deploy-time checks beyond the schema: unique step names, paths that parse and refer only
 * to earlier steps, $.item/$.index only in a map's input, a map source that can be an array.
 * Throws a ValidationError naming the step.
 */
export function checkDefinition(def: ChainDefinition): void {
  const seen = new Map<string, Step>();
  const all = new Set(def.steps.map((s) => s.name));
  def.steps.forEach((step, i) => {
    const fail = (msg: string, field: string): never => {
      throw new ValidationError(`step '${step.name}': ${msg}`, `steps.${i}.${field}`);
    };
    if (seen.has(step.name)) fail(`duplicate step name (step names must be unique)`, 'name');
    const check = (mapping: unknown, field: string, allowItem: boolean) => {
      let paths: ParsedPath[] = [];
      try {
        paths = pathsIn(mapping);
      } catch (err) {
        fail((err as Error).message, field);
      }
      for (const p of paths) {
        if ((p.root === 'item' || p.root === 'index') && !allowItem) fail(`'${p.text}': $.item and $.index exist only in a map step's input`, field);
        if (p.root !== 'steps') continue;
        if (p.step === step.name) fail(`'${p.text}' refers to the step itself; only earlier steps' outputs can be used`, field);
        if (!seen.has(p.step!)) {
          fail(all.has(p.step!) ? `'${p.text}' refers to step '${p.step}', which runs later` : `'${p.text}' refers to step '${p.step}', which does not exist`, field);
        }
      }
    };
    inputMappings(def, i).forEach(({ unit, mapping }) =>
      check(mapping, unit ? `parallel.${unit}.input` : step.type === 'map' ? 'map.input' : 'input', step.type === 'map'));
    if (step.type === 'map') checkMapSource(step.map.items, seen, fail);
    if (step.type === 'map') check(step.map.items, 'map.items', false);
    seen.set(step.name, step);
  });
  if (def.output !== undefined) {
    for (const p of safePaths(def.output, 'output')) {
      if (p.root === 'item' || p.root === 'index') throw new ValidationError(`output: '${p.text}' exists only in a map step's input`, 'output');
      if (p.root === 'steps' && !all.has(p.step!)) throw new ValidationError(`output: '${p.text}' refers to step '${p.step}', which does not exist`, 'output');
    }
  }
}

function safePaths(mapping: unknown, field: string): ParsedPath[] {
  try {
    return pathsIn(mapping);
  } catch (err) {
    throw new ValidationError(`${field}: ${(err as Error).message}`, field);
  }
}

/** A map's items must be a path or a non-empty literal array; some paths are known not to be arrays. */
function checkMapSource(items: unknown, earlier: Map<string, Step>, fail: (msg: string, field: string) => never): void {
  if (items === undefined || items === null || items === '') fail('a map step needs items (a path to an array, or an array)', 'map.items');
  if (Array.isArray(items)) {
    if (items.length === 0) fail('map items is an empty array', 'map.items');
    return;
  }
  if (!isPath(items)) fail(`map items must be a path to an array or an array, got ${describe(items)}`, 'map.items');
  let p: ParsedPath;
  try {
    p = parsePath(items as string);
  } catch (err) {
    return fail((err as Error).message, 'map.items');
  }
  if (p.root === 'index') fail(`map items '${p.text}' is a number, not an array`, 'map.items');
  const source = p.root === 'steps' ? earlier.get(p.step!) : undefined;
  if (source?.type === 'parallel' && p.rest.length === 0) {
    fail(`map items '${p.text}' is the output of parallel step '${source.name}', an object keyed by branch, not an array`, 'map.items');
  }
}

// The shell blocks of the docs and how each is run. A fence's info string says:
//   ```sh run              run in page order against a test stack (test/e2e/docs-commands.test.ts)
//   ```sh run-stack        run against the production topology (test/stack/docs-commands.test.ts)
//   ```sh norun: <reason>  not run, saying why in at least three words
// A shell fence (sh, bash, shell, console, zsh) marked otherwise, or a fence naming no language
// (where a command could hide), is refused by the docs' tests: every command in the docs is run
// by a test or says why it is not. In a runnable block, a comment ending in `→ TEXT` shows
// output; the test checks the block's output holds each TEXT, in order (whitespace aside, so
// compact JSON matches the CLI's indented JSON). Code hosts still highlight the blocks as sh.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type RunMark = 'run' | 'run-stack';
export interface RunnableBlock { page: string; line: number; script: string; expected: string[] }
interface Fence { line: number; info: string; body: string }

const SHELLS = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);
const OPEN = /^\s*(`{3,}|~{3,})\s*(.*)$/;

/** Every fenced block of a Markdown text: its first body line (1-based), info string and body. */
export function fencesOf(text: string): Fence[] {
  const lines = text.split('\n');
  const fences: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]!);
    if (!open) continue;
    const marker = open[1]!;
    const close = new RegExp(`^\\s*${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end]!)) end++;
    fences.push({ line: i + 2, info: open[2]!.trim(), body: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return fences;
}

/** Why a fence's info string is not allowed, or undefined when it is. */
export function fenceProblem(info: string): string | undefined {
  if (info === '') return 'a fence names no language (`text` for a diagram, `sh run` for commands)';
  const [lang, ...rest] = info.split(/\s+/);
  if (!SHELLS.has(lang!)) return undefined;
  const mark = rest.join(' ');
  if (lang !== 'sh' && lang !== 'bash') return `a ${lang} block: write it as \`sh run\`, \`sh run-stack\` or \`sh norun: <reason>\``;
  if (mark === 'run' || mark === 'run-stack') return undefined;
  const norun = /^norun:\s*(.*)$/.exec(mark);
  if (!norun) return `an unmarked ${lang} block: mark it \`${lang} run\`, \`${lang} run-stack\` or \`${lang} norun: <reason>\``;
  if (norun[1]!.split(/\s+/).filter(Boolean).length < 3) return 'a `norun` block must say why it is not run (at least three words)';
  return undefined;
}

/** The outputs a runnable block shows: each comment's text after `→ `, in order. */
export function expectedOutputs(script: string): string[] {
  return script.split('\n').flatMap((l) => {
    const comment = commentOf(l);
    const at = comment?.indexOf('→ ') ?? -1;
    return at >= 0 ? [comment!.slice(at + 2).trim()] : [];
  });
}

/** A shell line's comment: from the first `#` outside quotes that starts a word. */
function commentOf(line: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(i + 1);
  }
  return undefined;
}

/** The first expected output the actual output does not hold (in order, whitespace aside). */
export function missingOutput(output: string, expected: string[]): string | undefined {
  const squash = (s: string) => s.replace(/\s+/g, '');
  const text = squash(output);
  let from = 0;
  for (const e of expected) {
    const at = text.indexOf(squash(e), from);
    if (at < 0) return e;
    from = at + squash(e).length;
  }
  return undefined;
}

export function runnableBlocks(page: string, text: string, mark: RunMark = 'run'): RunnableBlock[] {
  return fencesOf(text)
    .filter((f) => /^(?:sh|bash)\s+(\S+)$/.exec(f.info)?.[1] === mark)
    .map((f) => ({ page, line: f.line, script: f.body, expected: expectedOutputs(f.body) }));
}

/** README.md, runtime-images/README.md and every page under docs/, relative to root. */
export function docPages(root: string): string[] {
  return ['README.md', 'runtime-images/README.md', ...markdownUnder(join(root, 'docs')).map((p) => p.slice(root.length + 1))];
}

/** Each page with blocks of that mark, its blocks in page order. */
export function runnablePages(root: string, mark: RunMark = 'run'): Map<string, RunnableBlock[]> {
  const found = new Map<string, RunnableBlock[]>();
  for (const page of docPages(root)) {
    const blocks = runnableBlocks(page, readFileSync(join(root, page), 'utf8'), mark);
    if (blocks.length > 0) found.set(page, blocks);
  }
  return found;
}

/** Every fence of the docs that is not allowed, as `page:line: why`. */
export function unmarkedFences(root: string): string[] {
  return docPages(root).flatMap((page) => fencesOf(readFileSync(join(root, page), 'utf8')).flatMap((f) => {
    const problem = fenceProblem(f.info);
    return problem ? [`${page}:${f.line - 1}: ${problem}`] : [];
  }));
}

function markdownUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.sort().flatMap((n) => {
    const path = join(dir, n);
    if (statSync(path).isDirectory()) return markdownUnder(path);
    return n.endsWith('.md') ? [path] : [];
  });
}

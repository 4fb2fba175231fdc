// The shell blocks the docs mark as runnable: a fence whose info string is `sh run` (or
// `bash run`). test/e2e/docs-commands.test.ts runs them, page by page and in order, against a
// real stack, so the quick start and the guides stay true. Code hosts highlight them as sh.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface RunnableBlock { page: string; line: number; script: string }

const FENCE = /^```(?:sh|bash) run\s*$/;

export function runnableBlocks(page: string, text: string): RunnableBlock[] {
  const lines = text.split('\n');
  const blocks: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    blocks.push({ page, line: start + 1, script: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** README.md and every page under docs/, each with its runnable blocks in page order. */
export function runnablePages(root: string): Map<string, RunnableBlock[]> {
  const pages = ['README.md', ...markdownUnder(join(root, 'docs')).map((p) => p.slice(root.length + 1))];
  const found = new Map<string, RunnableBlock[]>();
  for (const page of pages) {
    const blocks = runnableBlocks(page, readFileSync(join(root, page), 'utf8'));
    if (blocks.length > 0) found.set(page, blocks);
  }
  return found;
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

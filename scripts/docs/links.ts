// Relative links in the Markdown pages (README.md, docs/, runtime-images/README.md): each must
// name a file that exists and, with #anchor, a heading of that page (as a code host makes
// anchors: lower case, punctuation dropped, spaces as -).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

export function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsIn(text: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const m = !inFence && /^#{1,6} (.+)$/.exec(line);
    if (m) anchors.add(anchorOf(m[1]!));
  }
  return anchors;
}

/** Every broken relative link of the pages, as `page: target (why)`. */
export function brokenLinks(root: string, pages: string[]): string[] {
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue; // http:, https:, mailto:
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const path = file ? normalize(join(dirname(page), file)) : page;
      if (!existsSync(join(root, path))) {
        broken.push(`${page}: ${target} (no file ${path})`);
        continue;
      }
      if (anchor && path.endsWith('.md') && !anchorsIn(readFileSync(join(root, path), 'utf8')).has(anchor)) {
        broken.push(`${page}: ${target} (no heading #${anchor} in ${path})`);
      }
    }
  }
  return broken;
}

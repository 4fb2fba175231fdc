// The stamp of the sources dist/ is compiled from: file count and newest mtime under src/,
// plus tsconfig.json and tsconfig.build.json. A changed, added or removed file changes it.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function sourceStamp(root) {
  let count = 0;
  let newest = 0;
  const visit = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) {
        count++;
        newest = Math.max(newest, statSync(p).mtimeMs);
      }
    }
  };
  visit(join(root, 'src'));
  for (const f of ['tsconfig.json', 'tsconfig.build.json']) newest = Math.max(newest, statSync(join(root, f)).mtimeMs);
  return `${count}:${Math.floor(newest)}`;
}

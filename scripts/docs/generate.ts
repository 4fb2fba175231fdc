// npm run docs: (re)writes the generated reference pages under docs/reference/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { referencePages } from './reference-pages.js';

for (const [path, text] of Object.entries(referencePages())) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote ${path} (${text.length} bytes)`);
}

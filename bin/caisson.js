#!/usr/bin/env node
// The caisson command: the compiled dist/ (npm run build; set-up runs it) while it matches the
// sources, else the TypeScript sources through tsx's loader (slower to start: ~1.4 s, not ~0.1 s).
import { readFileSync } from 'node:fs';
import { sourceStamp } from '../scripts/source-stamp-lib.mjs';

const root = new URL('..', import.meta.url).pathname;
let built;
try {
  built = readFileSync(new URL('../dist/.stamp', import.meta.url), 'utf8').trim();
} catch {
  built = undefined;
}
if (built !== undefined && built === sourceStamp(root)) {
  await import('../dist/cli/main.js');
} else {
  if (built !== undefined && process.stderr.isTTY) {
    process.stderr.write('caisson: src/ changed since the last build; running the sources (npm run build makes start-up fast again)\n');
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}

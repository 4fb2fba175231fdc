// Where the built dashboard is: dist/ui beside the compiled api (dist/cli/processes → dist/ui),
// or, when the api runs from the TypeScript sources, the checkout's dist/ui.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function dashboardDir(): string {
  const candidates = ['../../ui', '../../../dist/ui'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(`${dir}/index.html`)) ?? candidates[candidates.length - 1]!;
}

// The dashboard's build (scripts/build.sh → dist/ui, served by the api at /ui). No plugin:
// Vite compiles the TSX itself (automatic JSX runtime); the output is files only (no inline
// script, for the api's CSP).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    // Vite's modulepreload polyfill is fine under the CSP (it is in the bundle), but not needed: one entry chunk.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
});

// Lint rules that keep the architecture honest: the dependency direction of STYLE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'crypto', 'net', 'http', 'https', 'stream', 'util', 'events', 'worker_threads'];
const noNode = nodeBuiltins.flatMap((m) => [m, `node:${m}`, `node:${m}/*`]);
/** The data plane (worker activities, runtime/) imports nothing of the database or the control plane. */
const dataPlaneForbidden = {
  paths: ['@prisma/client', 'pg', '@electric-sql/pglite', 'pglite-prisma-adapter', '@prisma/adapter-pg'],
  patterns: [{ group: ['**/db/**', '**/control/**', '**/api/**'], message: 'the data plane imports nothing of the database, the control plane or the api' }],
};

export default tseslint.config(
  { ignores: ['node_modules', '.caisson', 'src/db/generated', 'dist', 'packages/*/dist', 'runtime-images', 'examples', 'test/fixtures'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain Node.js scripts (the bin entry, set-up helpers): Node's globals.
    files: ['bin/**/*.js', 'scripts/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: noNode.concat(['dockerode', '@prisma/client', 'pg', '@electric-sql/pglite']),
        patterns: [
          { group: ['**/db/**', '**/runtime/**', '**/config/**', '**/api/**', '**/cli/**'], message: 'workflows are deterministic: no I/O modules' },
          { group: ['**/activities/**', '**/control/**'], allowTypeImports: true, message: 'workflows may only `import type` from activities and control' },
          // zod in the workflow bundle made every new workflow run slower (docs/performance.md):
          // plain values come from zod-free modules (shared/attempt-rules.ts, shared/chain-ids.ts, ...).
          { group: ['zod', '**/shared/types.js', '**/shared/chain.js'], allowTypeImports: true, message: 'workflows import values from zod-free modules (shared/attempt-rules.ts, shared/chain-ids.ts), only types from the zod-schema modules' },
        ],
      }],
    },
  },
  {
    // The workflow bundle's modules are evaluated once per worker thread and shared by every
    // run (preloadModules in worker.process.ts): module scope must hold no mutable state.
    files: ['src/workflows/**/*.ts', 'src/shared/**/*.ts', 'src/temporal/search-attributes.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: 'Program > VariableDeclaration[kind!="const"], Program > ExportNamedDeclaration > VariableDeclaration[kind!="const"]',
          message: 'no module-level let/var here: workflow modules are shared by every run' },
        { selector: 'Program VariableDeclarator > Literal[regex.flags=/[gy]/]',
          message: 'a g or y regex has state (lastIndex): make it where it is used' },
        { selector: "CallExpression[callee.name=/^(patched|deprecatePatch)$/] > Literal",
          message: 'patch ids live in src/workflows/patches.ts (PATCHES), with what their old branch does' },
      ],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*', '!../shared/*'], message: 'shared/ imports nothing else in src/' }] }],
    },
  },
  {
    // Built alone into @caisson/client (packages/client): nothing of the server may reach it.
    files: ['src/client/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*'], message: 'src/client is the @caisson/client package: it imports nothing else of src/' }] }],
    },
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: dataPlaneForbidden.paths,
        patterns: [{ group: ['**/db/**', '**/control/**', '@temporalio/*', '**/api/**', '**/workflows/**', '**/activities/**'], message: 'runtime/ knows nothing of the db or Temporal' }],
      }],
    },
  },
  {
    // The data plane (worker activities) never reaches the database: the control plane
    // (src/control/, run by the api process) writes every record.
    files: ['src/activities/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', dataPlaneForbidden] },
  },
  {
    // The control plane writes records: no Docker, no runtime.
    files: ['src/control/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['dockerode'], patterns: [{ group: ['**/runtime/**', '**/api/**', '**/workflows/**', '**/cli/**'], message: 'control/ writes records only: no Docker, no api, no workflow code' }] }],
    },
  },
  {
    // Activities, control-plane stores and api services stay readable in one sitting: a factory
    // that grows past this splits by concern (see container-kit.ts, invocation-admission.ts).
    files: ['src/activities/**/*.ts', 'src/control/**/*.ts', 'src/api/services/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'max-params': ['error', 3],
    },
  },
  {
    files: ['src/db/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/runtime/**', '@temporalio/*', 'dockerode', '**/api/**'], message: 'db/ knows nothing of Docker or Temporal' }] }],
    },
  },
  {
    files: ['src/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['dockerode'], patterns: [
        { group: ['**/runtime/**'], message: 'the api never touches Docker: every container change goes through a workflow' },
        { group: ['**/workflows/**'], allowTypeImports: true, message: 'the api loads no workflow code: `import type` only (start workflows through api/workflow-refs.ts)' },
      ] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/config/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'only cli/ and config/ read process.env' }],
    },
  },
);

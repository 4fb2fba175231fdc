// What a project pays for @caisson/client: the packed tarball, its install into a new project
// (packages and bytes under node_modules, wall time), and the consumer's `tsc --strict --noEmit`
// of test/fixtures/client-consumer/right-call.ts (wall time and the files tsc read). Prints JSON.
// Run with `npx tsx bench/client-package.bench.ts` (BENCH_TSC_RUNS, default 5).
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { summarize } from './lib/stats.js';

const run = promisify(execFile);
const repo = process.cwd();
const RUNS = Number(process.env.BENCH_TSC_RUNS ?? 5);

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? bytesUnder(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}

function packagesUnder(modules: string): string[] {
  return readdirSync(modules).filter((n) => !n.startsWith('.'))
    .flatMap((n) => (n.startsWith('@') ? readdirSync(join(modules, n)).map((m) => `${n}/${m}`) : [n]));
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

// Outside the repository: tsc would otherwise find its node_modules/@types walking up.
const project = mkdtempSync(join(tmpdir(), 'caisson-bench-client-'));
try {
  cpSync(join(repo, 'test/fixtures/client-consumer'), project, { recursive: true });
  const [packed, packMs] = await timed(() => run('npm', ['pack', '--pack-destination', project, '--json'], { cwd: join(repo, 'packages/client') }));
  const [{ filename, size, unpackedSize }] = JSON.parse(packed.stdout) as [{ filename: string; size: number; unpackedSize: number }];
  const [, installMs] = await timed(() => run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${filename}`], { cwd: project }));
  const modules = join(project, 'node_modules');
  const tsc = resolve(repo, 'node_modules/.bin/tsc');
  const samples: number[] = [];
  // What tsc reads (its default lib files, the consumer's file, the package's declarations).
  const listed = (await run(process.execPath, [tsc, '--strict', '--noEmit', '--listFilesOnly', 'right-call.ts'], { cwd: project })).stdout.trim().split('\n');
  // Interleaved with tsc on a file that imports nothing: what tsc costs anyway (its start, the lib).
  writeFileSync(join(project, 'empty.ts'), 'export const nothing = 0;\n');
  const baseline: number[] = [];
  // tsc's own counts do not vary with the machine's load, as wall times do.
  const diagnostics = (stdout: string) => Object.fromEntries(['Types', 'Instantiations', 'Lines of Definitions', 'Memory used']
    .map((k) => [k.toLowerCase().replace(/ /g, '_'), Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(stdout)?.[1])]));
  let counts = {};
  let emptyCounts = {};
  for (let i = 0; i < RUNS; i++) {
    const [consumer, ms] = await timed(() => run(process.execPath, [tsc, '--strict', '--noEmit', '--extendedDiagnostics', 'right-call.ts'], { cwd: project }));
    samples.push(ms);
    counts = diagnostics(consumer.stdout);
    const [nothing, empty] = await timed(() => run(process.execPath, [tsc, '--strict', '--noEmit', '--extendedDiagnostics', 'empty.ts'], { cwd: project }));
    baseline.push(empty);
    emptyCounts = diagnostics(nothing.stdout);
  }
  console.log(JSON.stringify({
    bench: 'client-package',
    tarball: { bytes: size, unpacked_bytes: unpackedSize, pack_ms: Math.round(packMs) },
    install: { packages: packagesUnder(modules), node_modules_bytes: bytesUnder(modules), ms: Math.round(installMs) },
    consumer_tsc: { ...summarize(samples), files_read: listed.length, package_files: listed.filter((f) => f.includes('/@caisson/client/')).length, ...counts },
    tsc_of_an_empty_file: { ...summarize(baseline), ...emptyCounts },
  }, null, 2));
} finally {
  rmSync(project, { recursive: true, force: true });
}

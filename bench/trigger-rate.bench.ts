// The cost of a public function's rate limit kept in the database (one statement per call,
// trigger-rate.repository.ts) against the process-local token bucket it replaced:
//   1. the check alone: takeToken on PGlite (and on PostgreSQL with --database-url) against
//      the replaced in-memory bucket, reproduced below, per call;
//   2. on the HTTP path: POST /function/<name> of a public warm function with a rate limit
//      (never reached: 100000/s) against the same function without one. The replaced in-memory
//      check cost about a microsecond (section 1), so the function without a limit stands for it.
// Timed from a caller in its own process, interleaved. Prints JSON.
//   npx tsx bench/trigger-rate.bench.ts [--n 40] [--checks 2000] [--database-url postgresql://…] [--skip-http] [--out FILE]
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packCode } from '../src/cli/code-package.js';
import { createDatabase, createRepositories } from '../src/db/index.js';
import { startBenchStack } from './lib/bench-stack.js';
import { startCaller } from './lib/caller.js';
import { percentile, summarize, type Summary } from './lib/stats.js';

const repo = path.resolve(import.meta.dirname, '..');

/** The replaced check: a token bucket per client in a Map of this process (burst: one second's worth). */
function inMemoryBucket(perS: number) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (client: string): boolean => {
    const t = Date.now();
    const b = buckets.get(client) ?? { tokens: Math.max(1, perS), at: t };
    b.tokens = Math.min(Math.max(1, perS), b.tokens + ((t - b.at) / 1000) * perS);
    b.at = t;
    buckets.set(client, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };
}

/** Per-call times in microseconds (the check alone is far below summarize's 0.1 ms rounding). */
async function timeEach(n: number, call: () => Promise<unknown> | unknown): Promise<{ p50_us: number; p95_us: number; mean_us: number; n: number }> {
  for (let i = 0; i < 50; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call();
    samples.push((performance.now() - t0) * 1000);
  }
  const us = (x: number) => Math.round(x * 10) / 10;
  return { p50_us: us(percentile(samples, 50)), p95_us: us(percentile(samples, 95)), mean_us: us(samples.reduce((a, b) => a + b, 0) / n), n };
}

/** Section 1: the check alone, per call. */
async function benchCheck(opts: { checks: number; databaseUrl?: string }): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const memory = inMemoryBucket(100_000);
  out.in_memory_check = await timeEach(opts.checks, () => memory('203.0.113.1'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caisson-rate-bench-'));
  const targets: Array<[string, Parameters<typeof createDatabase>[0]]> = [['pglite', { dataDir: dir }]];
  if (opts.databaseUrl) targets.push(['postgres', { dataDir: dir, databaseUrl: opts.databaseUrl }]);
  try {
    for (const [kind, options] of targets) {
      const db = await createDatabase(options);
      try {
        const { triggerRate } = createRepositories(db.prisma);
        const fn = `bench-${randomBytes(3).toString('hex')}`;
        const take = () => triggerRate.takeToken({ namespace: 'default', functionName: fn, client: '203.0.113.1', perS: 100_000, maxClients: 10_000 });
        out[`db_check_${kind}`] = await timeEach(opts.checks, take);
        out[`db_round_trip_${kind}`] = await timeEach(opts.checks, () => db.ping());
      } finally {
        await db.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

/** Section 2: a public warm function through its URL, with and without the rate limit. */
async function benchHttp(opts: { n: number; databaseUrl?: string }): Promise<Record<string, unknown>> {
  const stack = await startBenchStack({ CAISSON_WARM: 'on', ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}) });
  try {
    const packed = await packCode(path.join(repo, 'examples/hello-python'));
    const deploy = async (rateLimitPerS?: number) => {
      const name = `bench-rate-${randomBytes(3).toString('hex')}`;
      await stack.client.functions.create.mutate({
        name, runtime: 'python', code: packed.code, fileName: packed.fileName, limits: { timeoutMs: 1000 },
        warm: { maxWarm: 4, queueTimeoutMs: 1000 }, http: { access: 'public', ...(rateLimitPerS ? { rateLimitPerS } : {}) },
      });
      return name;
    };
    const limited = await deploy(100_000);
    const open = await deploy();
    // Anonymous, as a public function's callers are.
    const caller = await startCaller();
    try {
      for (let i = 0; i < 5; i++) for (const fn of [limited, open]) await caller.http(stack.api.url, fn);
      const timers = [() => caller.http(stack.api.url, limited), () => caller.http(stack.api.url, open)];
      const samples: number[][] = [[], []];
      for (let i = 0; i < opts.n * 3; i++) {
        for (let j = 0; j < 2; j++) {
          const k = (i + j) % 2;
          samples[k]!.push(await timers[k]!());
        }
      }
      const [withLimit, without] = samples.map(summarize) as [Summary, Summary];
      return {
        http_public_warm_rate_limited: withLimit,
        http_public_warm_no_limit: without,
        ratio_rate_limited_to_no_limit_p50: Math.round((withLimit.p50_ms / without.p50_ms) * 1000) / 1000,
        http_database: opts.databaseUrl ? 'postgres' : 'pglite',
      };
    } finally {
      caller.stop();
    }
  } finally {
    await stack.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const { values } = parseArgs({ options: {
    out: { type: 'string' }, n: { type: 'string', default: '40' }, checks: { type: 'string', default: '2000' },
    'database-url': { type: 'string' }, 'skip-http': { type: 'boolean', default: false },
  } });
  const databaseUrl = values['database-url'];
  const report: Record<string, unknown> = {
    bench: 'trigger-rate', date: new Date().toISOString(), cpus: os.availableParallelism(),
    ...(await benchCheck({ checks: Number(values.checks), ...(databaseUrl ? { databaseUrl } : {}) })),
    ...(values['skip-http'] ? {} : await benchHttp({ n: Number(values.n), ...(databaseUrl ? { databaseUrl } : {}) })),
  };
  const text = JSON.stringify(report, null, 2);
  if (values.out) await writeFile(values.out, `${text}\n`);
  console.log(text);
  process.exit(0);
}

// Go cold path: the hello-go function (compiled once at deploy time) invoked through the api,
// against `docker run --rm` of the same prebuilt binary in the same image with the same flags,
// interleaved in one run. Called by bench/invoke.bench.ts:
//   benchGoCold({ client, n, stack, rawDockerRun? }) → { go_cold_invoke, go_raw_docker_run?, ratio_go_cold_to_raw_p50? }
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { CaissonClient } from '../src/client/index.js';
import { packCode } from '../src/cli/code-package.js';
import { createBlobClient } from '../src/activities/blob-client.js';
import { createCodeCache } from '../src/runtime/io/code-cache.js';
import { createIoDir } from '../src/runtime/io/io-dir.js';
import { imageFor } from '../src/runtime/docker/images.js';
import { rawDockerRun as rawTimer } from './lib/raw-docker-run.js';
import { summarize, type Summary } from './lib/stats.js';

const repo = path.resolve(import.meta.dirname, '..');

export interface GoBenchOptions {
  client: CaissonClient;
  n: number;
  /** The bench stack: its api URL serves the built artifact, its home holds the raw run's files. */
  stack?: { config: { home: string; api: { url: string } }; api: { workerToken: string } };
  /** Also time `docker run --rm` of the same binary (default: when a stack is given). */
  rawDockerRun?: boolean;
}

export async function benchGoCold(opts: GoBenchOptions): Promise<Record<string, Summary | number>> {
  const { client, n } = opts;
  const name = `bench-go-${randomBytes(3).toString('hex')}`;
  const packed = await packCode(path.join(repo, 'examples/hello-go'));
  // Built here, once (deploy time); every timed invocation runs the same binary.
  const spec = await client.functions.create.mutate({ name, runtime: 'go', code: packed.code, convention: 'script', warm: { isolation: 'fresh' } });
  const invoke = async () => {
    const t0 = performance.now();
    const v = await client.invocations.invoke.mutate({ function: name, payload: { name: 'bench' } });
    const ms = performance.now() - t0;
    if (v.status !== 'SUCCEEDED') throw new Error(`go invoke failed: ${JSON.stringify(v.error)}`);
    return ms;
  };
  const timers: Record<string, () => Promise<number>> = { go_cold_invoke: invoke };
  if (opts.stack && opts.rawDockerRun !== false) {
    const root = path.join(opts.stack.config.home, 'bench-go-raw');
    const blobs = createBlobClient(opts.stack.config.api.url, opts.stack.api.workerToken);
    const codeDir = await createCodeCache({ dir: path.join(root, 'code') })
      .materialize(spec.artifact, () => blobs.getArtifact(spec.artifact.sha256));
    const payload = JSON.stringify({ name: 'bench' });
    const ioDir = await createIoDir(path.join(root, 'io'), 'shared', payload, { sizeBytes: 16 << 20 });
    let seq = 0;
    timers.go_raw_docker_run = rawTimer({
      spec: () => ({
        name: `${name}-raw-${++seq}`, image: imageFor('go'), labels: { 'caisson.managed': 'true', 'caisson.bench': name },
        env: { FUNCTION_PAYLOAD: payload, CAISSON_CONVENTION: 'script', CAISSON_ENTRY: 'handler' },
        codeDir, ioDir, memoryMb: spec.limits.memoryMb, cpus: spec.limits.cpus, network: false,
      }),
      expectStdout: (out) => out.includes('Hello, bench!'),
    });
  }
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(timers).map((k) => [k, []]));
  const names = Object.keys(timers);
  for (let i = 0; i < 2 + n; i++) {
    for (const k of i % 2 ? [...names].reverse() : names) {
      const ms = await timers[k]!();
      if (i >= 2) samples[k]!.push(ms);
    }
  }
  const report: Record<string, Summary | number> = Object.fromEntries(names.map((k) => [k, summarize(samples[k]!)]));
  const raw = report.go_raw_docker_run as Summary | undefined;
  if (raw) report.ratio_go_cold_to_raw_p50 = Math.round(((report.go_cold_invoke as Summary).p50_ms / raw.p50_ms) * 1000) / 1000;
  await client.functions.delete.mutate({ name });
  return report;
}

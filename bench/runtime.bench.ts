// Cold-path overhead of the Docker runtime: the Python hello function through
// create+execute+remove (createDockerRuntime) against `docker run --rm` with the same
// image, hardening flags and mounts, interleaved in one run (timings drift 20–40 %
// between runs, so only the ratio measured in one run means anything).
//   npx tsx bench/runtime.bench.ts --out FILE [--n 30]
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';
import type { ContainerSpec } from '../src/runtime/docker/container-runtime.js';
import { containerCreateOptions, createDockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { imageFor } from '../src/runtime/docker/images.js';
import { removeIoDirsUnder } from '../src/runtime/io/io-dir.js';
import { dockerRunArgs } from './lib/docker-run-args.js';
import { spawnCollect } from './lib/raw-docker-run.js';
import { materializeSingleFile } from './lib/single-file-code.js';
import { summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, n: { type: 'string', default: '30' } } });
const n = Number(values.n);
const WARMUP = 3;
const runId = `bench-${randomBytes(4).toString('hex')}`;
const repo = path.resolve(import.meta.dirname, '..');
const dockerCli = process.env.DOCKER_CLI ?? 'docker';
const expected = '{"message": "Hello, bench!"}';

const docker = new Dockerode();
const runtime = createDockerRuntime({ docker });
const root = await mkdtemp(path.join(os.tmpdir(), `caisson-${runId}-`));
await chmod(root, 0o755);

try {
  await runtime.ensureImage(imageFor('python'));
  const payload = JSON.stringify({ name: 'bench' });
  const { codeDir, ioDir } = await materializeSingleFile({
    file: path.join(repo, 'test/fixtures/functions/py-hello-script/main.py'), root, payload,
  });
  let seq = 0;
  const spec = (): ContainerSpec => ({
    name: `${runId}-${++seq}`,
    image: imageFor('python'),
    labels: { 'caisson.managed': 'true', 'caisson.bench': runId },
    env: { FUNCTION_PAYLOAD: payload, CAISSON_CONVENTION: 'script' },
    codeDir,
    ioDir,
    memoryMb: 128,
    cpus: 1,
    network: false,
  });

  async function viaRuntime(): Promise<number> {
    const s = spec();
    const t0 = performance.now();
    const { id } = await runtime.create(s);
    const outcome = await runtime.execute(id, { timeoutMs: 30_000 });
    await runtime.remove(id);
    const ms = performance.now() - t0;
    if (outcome.stdout.trim() !== expected) throw new Error(`runtime: unexpected output ${JSON.stringify(outcome)}`);
    return ms;
  }

  async function viaDockerRun(): Promise<number> {
    const args = dockerRunArgs(containerCreateOptions(spec()));
    const t0 = performance.now();
    const { code, stdout, stderr } = await spawnCollect(dockerCli, args);
    const ms = performance.now() - t0;
    if (code !== 0 || stdout.trim() !== expected) throw new Error(`docker run: exit ${code}: ${stdout} ${stderr}`);
    return ms;
  }

  for (let i = 0; i < WARMUP; i++) {
    await viaDockerRun();
    await viaRuntime();
  }
  const raw: number[] = [];
  const rt: number[] = [];
  for (let i = 0; i < n; i++) {
    // Alternate which goes first so neither always follows the other's cleanup.
    if (i % 2 === 0) {
      raw.push(await viaDockerRun());
      rt.push(await viaRuntime());
    } else {
      rt.push(await viaRuntime());
      raw.push(await viaDockerRun());
    }
  }
  const rawSummary = summarize(raw);
  const rtSummary = summarize(rt);
  const version = await docker.version();
  const report = {
    raw_docker_run: rawSummary,
    runtime_execute: rtSummary,
    ratio_p50: Math.round((rtSummary.p50_ms / rawSummary.p50_ms) * 1000) / 1000,
    machine: { cpus: os.cpus().length, node: process.version, docker: version.Version },
  };
  const text = JSON.stringify(report, null, 2);
  console.log(text);
  if (values.out) await writeFile(values.out, `${text}\n`);
} finally {
  const left = await runtime.listManaged({ 'caisson.bench': runId }).catch(() => []);
  await Promise.all(left.map((c) => runtime.remove(c.id)));
  await removeIoDirsUnder(root);
  await rm(root, { recursive: true, force: true });
}

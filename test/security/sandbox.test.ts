// The container sandbox under a hostile function, warm and cold alike, through the public
// api: fork bomb, memory, CPU quota, a SIGTERM-ignoring sleeper, writes outside /tmp and
// /caisson/io, capabilities, uid, links to another mount, and the network.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { deploySource, hostMarker, invoke } from './support/hostile.js';

const docker = createDockerRuntime({});
let stack: TestStack;
const marker = hostMarker();

const PROBE = `
import json, os, signal, socket, sys, time

def caps():
    for line in open("/proc/self/status"):
        if line.startswith(("CapEff", "CapPrm", "CapBnd", "NoNewPrivs", "Seccomp:")):
            k, v = line.split(":", 1)
            yield k, v.strip()

def cpu_quota():
    for q, p in (("/sys/fs/cgroup/cpu.max", None), ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")):
        try:
            if p is None:
                quota, period = open(q).read().split()
            else:
                quota, period = open(q).read().strip(), open(p).read().strip()
            return int(quota) / int(period)
        except (OSError, ValueError):
            continue
    return None

def handler(event, context):
    probe = event["probe"]
    if probe == "forkbomb":
        n = 0
        while True:
            try:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
            except OSError as e:
                print("fork failed after %d children: %s" % (n, e), file=sys.stderr, flush=True)
                time.sleep(60)
    if probe == "oom":
        return len([bytearray(10 << 20) for _ in range(60)])
    if probe == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)
    if probe == "writes":
        out = {}
        for p in ("/app/function/x", "/etc/x", "/x", "/usr/x", "/caisson/warm/x", "/tmp/x", "/caisson/io/x"):
            try:
                open(p, "w").close()
                out[p] = "ok"
            except OSError as e:
                out[p] = e.strerror
        return out
    if probe == "identity":
        return {"uid": os.getuid(), "gid": os.getgid(), **dict(caps()), "cpus": cpu_quota()}
    if probe == "hardlink":
        out = {}
        for src in ("/app/function/main.py", "/etc/passwd", "/tmp"):
            try:
                os.link(src, "/caisson/io/linked")
                out[src] = "linked"
            except OSError as e:
                out[src] = e.strerror
        return out
    if probe == "network":
        res = {}
        for host, port in (("1.1.1.1", 53), ("172.17.0.1", 3000), ("10.0.0.1", 80)):
            try:
                socket.create_connection((host, port), timeout=1).close()
                res[host] = "connected"
            except OSError as e:
                res[host] = e.strerror or str(e)
        return {"interfaces": sorted(os.listdir("/sys/class/net")), "results": res}
    if probe == "root":
        try:
            os.setuid(0)
            return "became root"
        except OSError as e:
            return e.strerror
`;

beforeAll(async () => {
  stack = await startTestStack({ name: 'sandbox' });
  const base = { runtime: 'python' as const, fileName: 'main.py', source: PROBE, convention: 'handler' as const, entry: 'main.handler', timeoutMs: 2500, memoryMb: 64 };
  await Promise.all([
    deploySource(stack.client, { ...base, name: 'probe-warm' }),
    deploySource(stack.client, { ...base, name: 'probe-cold', fresh: true }),
  ]);
});

afterAll(async () => {
  await stack?.stop();
  expect(await docker.listManaged({ 'caisson.worker': stack.workerId })).toEqual([]);
  expect(marker.untouched()).toBe(true);
});

describe.each(['probe-warm', 'probe-cold'])('%s', (fn) => {
  const run = (probe: string) => invoke(stack.client, fn, { probe });

  it('a fork bomb meets the pids limit; the deadline ends it; the worker serves the next call', async () => {
    const v = await run('forkbomb');
    expect(v.error?.kind).toBe('FunctionTimeout');
    expect(v.logs.stderr).toMatch(/fork failed after \d+ children/);
    expect((await run('identity')).status).toBe('SUCCEEDED');
  });

  it('memory past the limit is FunctionOOM', async () => {
    expect((await run('oom')).error?.kind).toBe('FunctionOOM');
  });

  it('a SIGTERM-ignoring function is killed at its deadline', async () => {
    const started = Date.now();
    expect((await run('ignore-term')).error?.kind).toBe('FunctionTimeout');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('writes only to /tmp and /caisson/io', async () => {
    const r = (await run('writes')).result as Record<string, string>;
    expect(r['/tmp/x']).toBe('ok');
    expect(r['/caisson/io/x']).toBe('ok');
    for (const p of ['/app/function/x', '/etc/x', '/x', '/usr/x', '/caisson/warm/x']) expect(r[p]).toMatch(/Read-only file system|Permission denied|No such file/);
  });

  it('runs as 65534 with no capabilities, no new privileges, seccomp on, its CPU quota', async () => {
    const r = (await run('identity')).result as Record<string, unknown>;
    expect(r).toMatchObject({ uid: 65534, gid: 65534, CapEff: '0000000000000000', CapPrm: '0000000000000000', NoNewPrivs: '1', Seccomp: '2' });
    expect(r.cpus).toBe(1);
    expect((await run('root')).result).toBe('Operation not permitted');
  });

  it('cannot hard-link anything of another mount into the io dir', async () => {
    const r = (await run('hardlink')).result as Record<string, string>;
    for (const v of Object.values(r)) expect(v).not.toBe('linked');
  });

  it('has no network: only loopback, nothing reachable', async () => {
    const r = (await run('network')).result as { interfaces: string[]; results: Record<string, string> };
    expect(r.interfaces).toEqual(['lo']);
    for (const v of Object.values(r.results)) expect(v).not.toBe('connected');
  });
});

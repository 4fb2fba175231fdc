// The pure parts of the build sandbox: the container body of a build, the firewall rules, the
// per-namespace cache names, the archive stream cap, the build config's defaults.
import { describe, expect, it } from 'vitest';
import { namespaceCacheName } from '../../../src/activities/build.activities.js';
import { loadConfig } from '../../../src/config/env.js';
import { firewallRules } from '../../../src/runtime/builds/build-firewall.js';
import { streamCapBytes } from '../../../src/runtime/builds/build-output.js';
import { BUILD_ENTRYPOINT } from '../../../src/runtime/builds/dependency-builder.js';
import { containerCreateOptions } from '../../../src/runtime/docker/docker-runtime.js';
import { createOutputCapture } from '../../../src/runtime/docker/output-capture.js';

const buildSpec = {
  name: 'b', image: 'img', labels: {}, env: {}, codeDir: '/src', memoryMb: 1024, cpus: 2, pidsLimit: 512,
  network: true, networkName: 'caisson-build', build: { outMb: 512, outFiles: 100_000 }, entrypoint: BUILD_ENTRYPOINT,
};

describe('a build container', () => {
  const body = containerCreateOptions(buildSpec);

  it('runs on the build network, never the default bridge', () => {
    expect(body.HostConfig?.NetworkMode).toBe('caisson-build');
    expect(containerCreateOptions({ ...buildSpec, network: false, networkName: undefined }).HostConfig?.NetworkMode).toBe('none');
  });

  it('has /out as a bounded tmpfs of the build uid, and no host directory mounted writable', () => {
    expect(body.HostConfig?.Tmpfs?.['/out']).toBe('rw,noexec,nosuid,nodev,size=512m,nr_inodes=100000,uid=65534,gid=65534,mode=0700');
    expect(body.HostConfig?.Binds).toEqual(['/src:/app/function:ro']);
  });

  it('keeps the limits and the hardening', () => {
    expect(body.HostConfig).toMatchObject({
      Memory: 1024 * 1024 * 1024, MemorySwap: 1024 * 1024 * 1024, NanoCpus: 2e9, PidsLimit: 512,
      ReadonlyRootfs: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'],
    });
    expect(body.User).toBe('65534:65534');
  });

  it('closes the archive descriptor for the build script: what the build runs cannot write into it', () => {
    expect(BUILD_ENTRYPOINT.join(' ')).toContain('/caisson/bin/build 3>&-');
    expect(BUILD_ENTRYPOINT.join(' ')).toMatch(/\| tar -cf - --numeric-owner --null --verbatim-files-from --no-recursion -T - >&3$/);
  });
});

describe('firewallRules', () => {
  it('rejects everything from the bridge to the host, and forwarded traffic to the blocked ranges', () => {
    expect(firewallRules('caisson-build0', ['169.254.0.0/16', '10.1.0.0/16'], 'DOCKER-USER')).toEqual([
      ['INPUT', ['-i', 'caisson-build0', '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable']],
      ['DOCKER-USER', ['-i', 'caisson-build0', '-d', '169.254.0.0/16', '-j', 'REJECT', '--reject-with', 'icmp-net-unreachable']],
      ['DOCKER-USER', ['-i', 'caisson-build0', '-d', '10.1.0.0/16', '-j', 'REJECT', '--reject-with', 'icmp-net-unreachable']],
    ]);
  });
});

describe('namespaceCacheName', () => {
  it.each([['default'], ['team-a'], ['../etc'], ['a/b']])('%s: one fixed-length path component per namespace', (ns) => {
    expect(namespaceCacheName(ns)).toMatch(/^ns-[0-9a-f]{32}$/);
  });

  it('differs between namespaces', () => {
    expect(namespaceCacheName('team-a')).not.toBe(namespaceCacheName('team-b'));
  });
});

describe('streamCapBytes', () => {
  it('allows the files plus tar framing of every entry, nothing more', () => {
    expect(streamCapBytes({ maxBytes: 1000, maxFiles: 2 })).toBe(1000 + 2 * 2048 + 1024 * 1024);
  });
});

describe('createOutputCapture with onStdout', () => {
  it('hands stdout over raw and keeps stderr capped', () => {
    const raw: Buffer[] = [];
    const capture = createOutputCapture({ stdoutCapBytes: 1, stderrCapBytes: 3, onStdout: (c) => raw.push(Buffer.from(c)) });
    const frame = (stream: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(text.length, 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    capture.push(Buffer.concat([frame(1, 'tar bytes'), frame(2, 'log line')]));
    expect(Buffer.concat(raw).toString()).toBe('tar bytes');
    expect(capture.stdout.text()).toBe('');
    expect(capture.stderr.text()).toBe('log\n…[truncated 5 bytes]');
  });
});

describe('build config', () => {
  it('has bounded defaults', () => {
    expect(loadConfig({}).worker.build).toEqual({
      network: 'caisson-build', bridge: 'caisson-build0', firewall: 'auto', blockedCidrs: ['169.254.0.0/16'],
      limits: { memoryMb: 1024, cpus: 2, pids: 512, timeoutMs: 600_000, outputMb: 512, outputFiles: 100_000, logBytes: 256 * 1024 },
    });
  });

  it('rejects a bridge name Linux would not take', () => {
    expect(() => loadConfig({ CAISSON_BUILD_BRIDGE: 'much-too-long-name0' })).toThrow(/CAISSON_BUILD_BRIDGE/);
    expect(loadConfig({ CAISSON_BUILD_BLOCKED_CIDRS: '169.254.0.0/16, 10.0.0.0/8' }).worker.build.blockedCidrs).toEqual(['169.254.0.0/16', '10.0.0.0/8']);
  });
});

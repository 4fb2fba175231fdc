// The `docker run` flags equivalent to a dockerode create body, so a benchmark's raw
// baseline runs with exactly the hardening the runtime applies.
import type Dockerode from 'dockerode';

export function dockerRunArgs(body: Dockerode.ContainerCreateOptions): string[] {
  const hc = body.HostConfig ?? {};
  const args = ['run', '--rm'];
  if (body.name) args.push('--name', body.name);
  for (const [k, v] of Object.entries(body.Labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const e of body.Env ?? []) args.push('-e', e);
  if (body.User) args.push('--user', body.User);
  if (hc.Memory) args.push('--memory', `${hc.Memory}b`);
  if (hc.MemorySwap) args.push('--memory-swap', `${hc.MemorySwap}b`);
  if (hc.NanoCpus) args.push('--cpus', String(hc.NanoCpus / 1e9));
  if (hc.PidsLimit) args.push('--pids-limit', String(hc.PidsLimit));
  if (hc.NetworkMode) args.push('--network', hc.NetworkMode);
  if (hc.ReadonlyRootfs) args.push('--read-only');
  for (const [dir, opts] of Object.entries(hc.Tmpfs ?? {})) args.push('--tmpfs', `${dir}:${opts}`);
  for (const cap of hc.CapDrop ?? []) args.push('--cap-drop', cap);
  for (const opt of hc.SecurityOpt ?? []) args.push('--security-opt', opt);
  for (const bind of hc.Binds ?? []) args.push('-v', bind);
  if (hc.Init) args.push('--init');
  if (hc.LogConfig?.Type) args.push('--log-driver', hc.LogConfig.Type);
  args.push(body.Image ?? '');
  if (Array.isArray(body.Cmd)) args.push(...body.Cmd);
  return args;
}

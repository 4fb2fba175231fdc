// Host firewall rules for the build network's bridge. A container on any Docker bridge reaches
// every host port bound to 0.0.0.0 (or to the bridge's gateway) through the host's INPUT chain:
// the api, Temporal, a published PostgreSQL. Docker's own rules only isolate bridges from each
// other, so the worker adds: INPUT from the build bridge → REJECT (nothing on the host serves
// builds; DNS goes out from the container's own namespace), and forwarded traffic from it to
// the blocked ranges (link-local: cloud metadata; more by configuration) → REJECT.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export type FirewallMode = 'auto' | 'required' | 'off';
export type FirewallState = { applied: true; rules: string[] } | { applied: false; reason: string };

/** The rules for one bridge, as iptables arguments after the chain name. */
export function firewallRules(bridge: string, blockedCidrs: readonly string[], forwardChain: string): Array<[string, string[]]> {
  return [
    ['INPUT', ['-i', bridge, '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable']],
    ...blockedCidrs.map((cidr): [string, string[]] => [forwardChain, ['-i', bridge, '-d', cidr, '-j', 'REJECT', '--reject-with', 'icmp-net-unreachable']]),
  ];
}

/**
 * Puts the rules in place (idempotent: each is checked with -C first). Says why not when it
 * cannot: not root, no iptables, or the bridge is not in this process's network namespace
 * (a worker in a container: its rules would guard the wrong namespace).
 */
export async function ensureBuildFirewall(opts: { bridge: string; blockedCidrs: readonly string[] }): Promise<FirewallState> {
  if (process.getuid?.() !== 0) return { applied: false, reason: 'the worker is not root' };
  if (!existsSync(`/sys/class/net/${opts.bridge}`)) {
    return { applied: false, reason: `bridge ${opts.bridge} is not in the worker's network namespace (a worker in a container cannot firewall the host)` };
  }
  try {
    // Docker's chain for rules of its users, consulted first in FORWARD; FORWARD itself without it.
    const forwardChain = (await iptables(['-n', '-L', 'DOCKER-USER'])) ? 'DOCKER-USER' : 'FORWARD';
    const rules = firewallRules(opts.bridge, opts.blockedCidrs, forwardChain);
    for (const [chain, rule] of rules) {
      if (!(await iptables(['-C', chain, ...rule]))) await iptablesOrThrow(['-I', chain, '1', ...rule]);
    }
    return { applied: true, rules: rules.map(([chain, rule]) => `${chain} ${rule.join(' ')}`) };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { applied: false, reason: code === 'ENOENT' ? 'iptables is not installed' : `iptables failed: ${(err as Error).message.trim()}` };
  }
}

/** true: exit 0; false: a non-zero exit (rule or chain absent); throws when iptables cannot run. */
async function iptables(args: string[]): Promise<boolean> {
  try {
    await exec('iptables', ['-w', ...args], { timeout: 10_000 });
    return true;
  } catch (err) {
    if (typeof (err as { code?: unknown }).code === 'number') return false;
    throw err;
  }
}

async function iptablesOrThrow(args: string[]): Promise<void> {
  await exec('iptables', ['-w', ...args], { timeout: 10_000 });
}

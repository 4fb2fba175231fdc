// The Docker network deploy-time builds run on: a bridge of its own with inter-container traffic
// off (two tenants' builds cannot talk), isolated by Docker from every other bridge (function
// and platform containers), and kept off the host by build-firewall.ts. Made idempotently
// before each build, so a network someone removed comes back.
import type Dockerode from 'dockerode';
import { RuntimeUnavailableError } from '../../shared/errors.js';
import { ensureBuildFirewall, type FirewallMode, type FirewallState } from './build-firewall.js';
import { engineCall, statusOf } from '../docker/docker-errors.js';

export interface BuildNetworkOptions {
  docker: Dockerode;
  /** Docker network name (CAISSON_BUILD_NETWORK). */
  name: string;
  /** Its Linux bridge interface (at most 15 characters), named so firewall rules can match it. */
  bridge: string;
  firewall: FirewallMode;
  blockedCidrs: readonly string[];
  log: (message: string) => void;
}

export interface BuildNetwork {
  /** Network exists and, unless firewall is off, its rules are in place; returns the network name. */
  prepare(): Promise<string>;
}

const ICC = 'com.docker.network.bridge.enable_icc';
const BRIDGE_NAME = 'com.docker.network.bridge.name';

export function createBuildNetwork(opts: BuildNetworkOptions): BuildNetwork {
  let lastState: string | undefined;
  const report = (state: FirewallState) => {
    const text = state.applied ? `applied (${state.rules.join('; ')})` : `NOT applied: ${state.reason}`;
    if (text !== lastState) {
      opts.log(`build network ${opts.name}: host firewall ${text}${state.applied ? '' : '; builds can reach host ports bound to all interfaces'}`);
    }
    lastState = text;
  };

  return {
    async prepare() {
      await ensureNetwork(opts);
      if (opts.firewall === 'off') return opts.name;
      const state = await ensureBuildFirewall({ bridge: opts.bridge, blockedCidrs: opts.blockedCidrs });
      report(state);
      if (!state.applied && opts.firewall === 'required') {
        throw new RuntimeUnavailableError(`the build firewall is not applied (CAISSON_BUILD_FIREWALL=required): ${state.reason}`);
      }
      return opts.name;
    },
  };
}

async function ensureNetwork(opts: BuildNetworkOptions): Promise<void> {
  const { docker, name, bridge } = opts;
  const inspect = () => engineCall(`inspecting network ${name}`, () => docker.getNetwork(name).inspect() as Promise<{ Options?: Record<string, string> }>);
  let info: { Options?: Record<string, string> };
  try {
    info = await inspect();
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    try {
      await engineCall(`creating network ${name}`, () => docker.createNetwork({
        Name: name, Driver: 'bridge', CheckDuplicate: true,
        Options: { [ICC]: 'false', [BRIDGE_NAME]: bridge },
        Labels: { 'caisson.managed': 'true', 'caisson.role': 'build-network' },
      }));
    } catch (createErr) {
      // 409: another worker of this host made it first.
      if (statusOf(createErr) !== 409) throw createErr;
    }
    info = await inspect();
  }
  // A same-named network made by hand would silently drop the isolation: refuse it.
  if (info.Options?.[ICC] !== 'false' || info.Options?.[BRIDGE_NAME] !== bridge) {
    throw new RuntimeUnavailableError(`docker network ${name} exists without ${ICC}=false and ${BRIDGE_NAME}=${bridge}: remove it, the worker makes it (options: ${JSON.stringify(info.Options ?? {})})`);
  }
}

// The worker's side of POST /deployments/<id>/log: a batch of a running build's lines, sent
// with the worker token (the api keeps them for the deploy's readers, build-log-store.ts).
import type { BuildLogSink } from './build-log-forwarder.js';

export function createBuildLogClient(apiUrl: string, workerToken: string): BuildLogSink {
  return {
    async send(deploymentId, batch) {
      const res = await fetch(`${apiUrl}/deployments/${encodeURIComponent(deploymentId)}/log`, {
        method: 'POST', body: JSON.stringify(batch),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${workerToken}` },
        // A slow api must not hold the build's lines back for long: the next batch waits for this one.
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`POST /deployments/${deploymentId}/log answered ${res.status}`);
    },
  };
}

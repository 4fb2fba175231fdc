// The Temporal SDK's own metrics (worker task slots, poll latencies, workflow and activity task
// counts…) come from its core runtime's Prometheus exporter, which the runtime serves on an
// address of its own. The runtime is one per process, so is its address: Caisson's /metrics
// endpoints append its text to their own, making one scrape target per process.
import { createServer } from 'node:net';

let address: string | undefined;

/** A free port on 127.0.0.1 for the runtime's exporter (it takes an address, not port 0). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Called once the runtime is installed with its exporter at `bindAddress` (host:port). */
export function setTemporalMetricsAddress(bindAddress: string): void {
  address = bindAddress;
}

/** The SDK's metrics text, or '' when no exporter runs in this process or it does not answer in time. */
export async function temporalMetricsText(): Promise<string> {
  if (!address) return '';
  try {
    const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}

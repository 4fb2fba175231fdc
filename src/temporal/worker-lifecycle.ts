// Worker start/stop helpers shared by the api and data-plane processes.
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';

/** Shuts a worker down unless it already is (stop() may race a signal or a failure). */
export function shutdownQuietly(worker: Worker): void {
  if (worker.getState() === 'RUNNING') worker.shutdown();
}

/** Expected, not a problem: the control and host-queue workers run activities only. */
const EXPECTED = /^No workflows registered, not polling for workflow tasks/;

/**
 * Caisson's processes own SIGINT/SIGTERM (to stop in order) and log Temporal at WARN.
 * prometheusAddress (host:port): the SDK's own metrics are exported there (observability/temporal-metrics.ts).
 */
export function installTemporalRuntime(level: 'WARN' | 'INFO' | 'ERROR' = 'WARN', telemetry: { prometheusAddress?: string } = {}): void {
  const print = new DefaultLogger(level);
  const logger = new DefaultLogger(level, (entry) => {
    if (!EXPECTED.test(entry.message)) print.log(entry.level, entry.message, entry.meta);
  });
  try {
    Runtime.install({
      shutdownSignals: [], logger,
      ...(telemetry.prometheusAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: telemetry.prometheusAddress } } } } : {}),
    });
  } catch {
    // already installed (tests, or a second process role in one process)
  }
}

// Worker start/stop helpers shared by the api and data-plane processes.
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';

/** Shuts a worker down unless it already is (stop() may race a signal or a failure). */
export function shutdownQuietly(worker: Worker): void {
  if (worker.getState() === 'RUNNING') worker.shutdown();
}

/** Caisson's processes own SIGINT/SIGTERM (to stop in order) and log Temporal at WARN. */
export function installTemporalRuntime(level: 'WARN' | 'INFO' | 'ERROR' = 'WARN'): void {
  try {
    Runtime.install({ shutdownSignals: [], logger: new DefaultLogger(level) });
  } catch {
    // already installed (tests, or a second process role in one process)
  }
}

// Temporal's worker logs INFO lines for every state change; tests want warnings only.
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // already installed in this worker thread
}

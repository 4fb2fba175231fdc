// A long-running process (dev, api, worker) survives a stray exception from one invocation:
// a rejected promise or a throw in a callback that nothing awaited is logged with its stack
// and the process goes on serving everyone else. Temporal retries whatever that invocation
// was doing; containers and records are reconciled as after any failure.
export function installCrashGuard(log: (msg: string) => void = (m) => console.error(m)): void {
  const report = (what: string) => (err: unknown) => {
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`caisson: ${what} (kept running): ${text}`);
  };
  process.on('uncaughtException', report('uncaught exception'));
  process.on('unhandledRejection', report('unhandled rejection'));
}

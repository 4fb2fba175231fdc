// `caisson fn deploy` while the deploy runs: each step as it starts and ends (build, register),
// and while the build runs, its output lines as the worker forwards them (functions.buildLog,
// long-polled). A step's end is printed only after every line before it: the worker sends its
// last lines before the build step ends, so one more read then gets them all.
import type { CaissonClient } from '../client/index.js';
import { safeLogLine } from '../shared/build-log.js';
import type { Output } from './output.js';

type Deployment = Awaited<ReturnType<CaissonClient['functions']['deployment']['query']>>;

/** How long one read of the build log waits for new lines. */
const LOG_WAIT_MS = 1000;

export async function followDeployment(opts: { client: CaissonClient; out: Output; id: string; title: string }): Promise<Deployment> {
  const { client, out, id } = opts;
  const seen = new Map<string, string>();
  const spin = out.spinner(opts.title);
  let cursor = 0;
  const write = (line: string) => {
    spin.stop();
    if (!out.json) process.stderr.write(`  ${line}\n`);
  };
  /** Prints the build's lines after the cursor (waiting up to waitMs for some). */
  const readLog = async (waitMs: number) => {
    const page = await client.functions.buildLog.query({ id, after: cursor, waitMs });
    // Cleaned here too: an api is not trusted to have done it for this terminal.
    for (const line of page.lines) write(`| ${safeLogLine(line)}`);
    cursor = page.next;
  };
  try {
    let d = await client.functions.deployment.query({ id, waitMs: 0 });
    for (;;) {
      const fresh = d.steps
        .filter((s) => s.status !== 'pending')
        .map((s) => ({ name: s.name, line: `${s.name}: ${s.status}${s.detail ? ` (${s.detail.split('\n')[0]})` : ''}` }))
        .filter((s) => seen.get(s.name) !== s.line);
      // The build's lines come before the line that says how it ended.
      if (!out.json && fresh.some((s) => s.name === 'build' && !s.line.startsWith('build: running'))) await readLog(0);
      for (const s of fresh) {
        seen.set(s.name, s.line);
        write(s.line);
      }
      if (d.status !== 'RUNNING') return d;
      // --json prints no lines: nothing to read them for.
      const building = !out.json && d.steps.some((s) => s.name === 'build' && s.status === 'running');
      if (building) {
        // Returns as soon as lines arrive: they are printed while the build runs.
        await readLog(LOG_WAIT_MS);
        d = await client.functions.deployment.query({ id, waitMs: 0 });
      } else {
        d = await client.functions.deployment.query({ id, waitMs: LOG_WAIT_MS });
      }
    }
  } finally {
    spin.stop();
  }
}

// Runs the real `caisson` CLI (bin/caisson.js --json) against a test stack's api, as a user would.
import { spawn } from 'node:child_process';

export interface CliRun {
  code: number | null;
  /** stdout+stderr parsed as JSON (--json), when it is JSON. */
  out: unknown;
  text: string;
}

/** apiKey: sent as CAISSON_API_KEY (absent: none, so the CLI falls back to its stored keys). */
export function runCli(args: string[], opts: { apiUrl: string; home: string; apiKey?: string; stdin?: string }): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env, CAISSON_HOME: opts.home, CAISSON_API_KEY: opts.apiKey };
  if (!opts.apiKey) delete env.CAISSON_API_KEY;
  const child = spawn(process.execPath, ['bin/caisson.js', '--api', opts.apiUrl, '--json', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  child.stdin.end(opts.stdin ?? '');
  return new Promise((resolve) => child.on('exit', (code) => {
    let out: unknown;
    try {
      out = JSON.parse(text);
    } catch {
      out = undefined;
    }
    resolve({ code, out, text });
  }));
}

// What the CLI's client commands need from the environment (where the api is, which key to
// send), read without env.ts's full schema: zod and every server setting are loaded only by the
// commands that run servers. env.ts takes its defaults for the same variables from here.
import { resolve } from 'node:path';

export const DEFAULT_HOME = '.caisson';
export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 3000;

export interface ClientEnv {
  apiUrl: string;
  /** CAISSON_API_KEY (else the files below: cli/credentials.ts). */
  apiKey: string | undefined;
  /** Where `caisson login` stores a key. */
  credentialsFile: string;
  /** Where the api writes the admin key it makes on first start. */
  adminKeyFile: string;
}

export function loadClientEnv(source: Record<string, string | undefined> = process.env): ClientEnv {
  const home = resolve(source.CAISSON_HOME || DEFAULT_HOME);
  const port = source.CAISSON_API_PORT || String(DEFAULT_API_PORT);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new Error(`CAISSON_API_PORT: not a port number: '${port}'`);
  const url = source.CAISSON_API_URL || `http://${source.CAISSON_API_HOST || DEFAULT_API_HOST}:${port}`;
  try {
    new URL(url);
  } catch {
    throw new Error(`CAISSON_API_URL: not a URL: '${url}'`);
  }
  return {
    apiUrl: url.replace(/\/$/, ''),
    apiKey: source.CAISSON_API_KEY || undefined,
    credentialsFile: resolve(home, 'credentials'),
    adminKeyFile: resolve(home, 'admin.key'),
  };
}

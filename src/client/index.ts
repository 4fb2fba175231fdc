// The typed client other TypeScript projects import: `import { createClient } from 'caisson/client'`.
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../api/routers/_app.js';
import { createHttpTransport, type HttpTransport } from './http-transport.js';

export type { AppRouter };
export { createFailoverTransport, type FailoverTransportOptions } from './failover-transport.js';
export type CaissonClient = ReturnType<typeof createClient>;

export interface ClientOptions {
  /** An api key (`caisson key create`, or $CAISSON_HOME/admin.key), sent as `Authorization: Bearer`. */
  apiKey?: string;
  headers?: Record<string, string>;
  /**
   * For an https api with a certificate of a private CA: that CA's PEM (the system's roots are
   * then not used). NODE_EXTRA_CA_CERTS adds to the system's roots instead, for a whole process.
   */
  ca?: string | Buffer;
  transport?: HttpTransport;
}

/** url: the api's base URL, e.g. http://127.0.0.1:3000 (the /trpc path is added). */
export function createClient(url: string, options: ClientOptions = {}) {
  const transport = options.transport ?? createHttpTransport({ ca: options.ca });
  const headers = { ...options.headers, ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) };
  return createTRPCClient<AppRouter>({
    links: [httpLink({
      url: `${url.replace(/\/$/, '')}/trpc`, headers: () => headers,
      fetch: transport.fetch as unknown as typeof fetch,
    })],
  });
}

/** The tRPC error code and Caisson details of a failed call, for programs that branch on them. */
export function describeClientError(err: unknown): { code: string; message: string; fieldErrors?: Record<string, string[]> } | undefined {
  if (!(err instanceof TRPCClientError)) return undefined;
  const data = err.data as { code?: string; zodError?: { fieldErrors?: Record<string, string[]> } | null } | undefined;
  return { code: data?.code ?? 'UNKNOWN', message: err.message, fieldErrors: data?.zodError?.fieldErrors };
}

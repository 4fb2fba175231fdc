// The typed client other TypeScript projects import: `import { createClient } from 'caisson/client'`.
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../api/routers/_app.js';
import { createHttpTransport, type HttpTransport } from './http-transport.js';

export type { AppRouter };
export type CaissonClient = ReturnType<typeof createClient>;

/** url: the api's base URL, e.g. http://127.0.0.1:3000 (the /trpc path is added). */
export function createClient(url: string, options: { headers?: Record<string, string>; transport?: HttpTransport } = {}) {
  const transport = options.transport ?? createHttpTransport();
  return createTRPCClient<AppRouter>({
    links: [httpLink({
      url: `${url.replace(/\/$/, '')}/trpc`, headers: () => options.headers ?? {},
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

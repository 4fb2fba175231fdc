// The typed client other projects import: `import { createClient } from '@caisson/client'`
// (packages/client, built from these files; inside this repository also `caisson/client`).
// Its types are api-types.ts, plain types generated from the api's router, so a consumer's
// compiler needs neither tRPC's nor the server's types. This folder imports nothing else of src/.
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { CaissonApi } from './api-types.js';
import { createHttpTransport, type HttpTransport } from './http-transport.js';

export type { CaissonApi, CaissonInputs, CaissonOutputs, CallOptions, JsonValue } from './api-types.js';
export type { HttpTransport } from './http-transport.js';
export { createHttpTransport } from './http-transport.js';
export { createFailoverTransport, type FailoverTransportOptions } from './failover-transport.js';
export type CaissonClient = CaissonApi;

type HttpLinkFetch = NonNullable<Parameters<typeof httpLink>[0]['fetch']>;

export interface ClientOptions {
  /** An api key (`caisson key create`, or $CAISSON_HOME/admin.key), sent as `Authorization: Bearer`. */
  apiKey?: string | undefined;
  headers?: Record<string, string> | undefined;
  /**
   * For an https api with a certificate of a private CA: that CA's PEM (the system's roots are
   * then not used). NODE_EXTRA_CA_CERTS adds to the system's roots instead, for a whole process.
   */
  ca?: string | Uint8Array | undefined;
  transport?: HttpTransport | undefined;
}

/** url: the api's base URL, e.g. http://127.0.0.1:3000 (the /trpc path is added). */
export function createClient(url: string, options: ClientOptions = {}): CaissonClient {
  const transport = options.transport ?? createHttpTransport({ ca: options.ca });
  const headers = { ...options.headers, ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) };
  // The router's own type stays on the server: api-types.ts describes the same procedures
  // (src/api/routers/client-contract.ts fails the typecheck when they differ).
  return createTRPCClient({
    links: [httpLink({
      url: `${url.replace(/\/$/, '')}/trpc`, headers: () => headers,
      fetch: transport.fetch as unknown as HttpLinkFetch,
    })],
  }) as unknown as CaissonClient;
}

/** tRPC's error codes, as a failed call names them in `code`. */
export type CaissonErrorCode =
  | 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'METHOD_NOT_SUPPORTED' | 'TIMEOUT' | 'CONFLICT'
  | 'PRECONDITION_FAILED' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'UNPROCESSABLE_CONTENT' | 'TOO_MANY_REQUESTS'
  | 'CLIENT_CLOSED_REQUEST' | 'INTERNAL_SERVER_ERROR' | 'NOT_IMPLEMENTED' | 'BAD_GATEWAY' | 'SERVICE_UNAVAILABLE'
  | 'GATEWAY_TIMEOUT' | 'UNKNOWN';

export interface CaissonError {
  code: CaissonErrorCode;
  message: string;
  /** Bad input: the fields and why (zod's flattened field errors). */
  fieldErrors?: Record<string, string[]> | undefined;
  /** Caisson's own code (VALIDATION, NOT_FOUND, QUOTA_EXCEEDED, …) when the api gave one. */
  caissonCode?: string | undefined;
  httpStatus?: number | undefined;
}

/** The code and Caisson details of a failed call, for programs that branch on them; undefined for other errors. */
export function describeClientError(err: unknown): CaissonError | undefined {
  if (!(err instanceof TRPCClientError)) return undefined;
  const data = err.data as { code?: string; httpStatus?: number; caissonCode?: string | null; zodError?: { fieldErrors?: Record<string, string[]> } | null } | undefined;
  return {
    code: (data?.code ?? 'UNKNOWN') as CaissonErrorCode, message: err.message, fieldErrors: data?.zodError?.fieldErrors,
    caissonCode: data?.caissonCode ?? undefined, httpStatus: data?.httpStatus,
  };
}

// The data plane's view of the api's content store: workers hold no database credentials,
// so they fetch artifacts and blobs over HTTP (with the worker token) and verify what they get,
// and the values of the secrets a container is created with (never kept, never logged).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FunctionExecutionError, QuotaExceededError, RuntimeUnavailableError } from '../shared/errors.js';
import { LiveVersionSchema, type LiveVersion } from '../shared/types.js';
import type { LiveLogSink } from './live-logs.js';

export interface BlobClient {
  getArtifact(sha256: string): Promise<Buffer>;
  getBlob(id: string): Promise<Buffer>;
  /**
   * Stores a large result or log of this invocation (charged to its namespace); throws
   * QuotaExceededError when that namespace is at its blobBytes quota.
   */
  putBlob(bytes: Buffer, invocationId: string): Promise<string>;
  /** Stores a build output by content hash (idempotent); resolves with its sha256. */
  putArtifact(bytes: Buffer): Promise<string>;
  /** The versions not deleted and their artifacts (what the code cache may keep). */
  liveVersions(): Promise<LiveVersion[]>;
  /**
   * The values of these secrets of a namespace. A secret that no longer exists is the
   * function's problem (FunctionExecutionError naming it), not the infrastructure's.
   */
  resolveSecrets(namespace: string, names: readonly string[]): Promise<Map<string, Buffer>>;
  /** Forwards a running attempt's output (live-logs.ts); rejects when the api did not take it. */
  sendLiveLogs: LiveLogSink;
}

const ResolvedSecrets = z.object({ secrets: z.record(z.string(), z.string()) });

export function createBlobClient(apiUrl: string, workerToken: string): BlobClient {
  const authorization = `Bearer ${workerToken}`;
  async function get(path: string): Promise<Buffer> {
    let res: Response;
    try {
      res = await fetch(`${apiUrl}${path}`, { headers: { authorization } });
    } catch (err) {
      throw new RuntimeUnavailableError(`api at ${apiUrl} unreachable: ${(err as Error).message}`);
    }
    if (!res.ok) throw new RuntimeUnavailableError(`GET ${path} from the api answered ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
  return {
    async getArtifact(sha256) {
      const bytes = await get(`/artifacts/${sha256}`);
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== sha256) throw new RuntimeUnavailableError(`artifact ${sha256} arrived with hash ${actual}`);
      return bytes;
    },
    getBlob: (id) => get(`/blobs/${encodeURIComponent(id)}`),
    async liveVersions() {
      const body: unknown = JSON.parse((await get('/artifacts/live')).toString('utf8'));
      return z.object({ versions: z.array(LiveVersionSchema) }).parse(body).versions;
    },
    async resolveSecrets(namespace, names) {
      let res: Response;
      try {
        res = await fetch(`${apiUrl}/secrets/resolve`, {
          method: 'POST', body: JSON.stringify({ namespace, names }), headers: { 'content-type': 'application/json', authorization },
        });
      } catch (err) {
        throw new RuntimeUnavailableError(`api at ${apiUrl} unreachable: ${(err as Error).message}`);
      }
      // An error's body is the api's message (names, never values).
      if (res.status === 404) throw new FunctionExecutionError(errorText(await res.json().catch(() => null)) ?? `secrets of namespace '${namespace}' not found`);
      if (!res.ok) throw new RuntimeUnavailableError(`POST /secrets/resolve answered ${res.status}`);
      const { secrets } = ResolvedSecrets.parse(await res.json());
      const values = new Map<string, Buffer>();
      for (const name of names) {
        const value = secrets[name];
        if (value === undefined) throw new RuntimeUnavailableError(`POST /secrets/resolve left out secret '${name}'`);
        values.set(name, Buffer.from(value, 'base64'));
      }
      return values;
    },
    async putBlob(bytes, invocationId) {
      let res: Response;
      try {
        // (the cast: a Buffer is a Uint8Array; the DOM lib's fetch type, met when the dashboard type-checks the router, wants its buffer named)
        res = await fetch(`${apiUrl}/blobs?invocation=${encodeURIComponent(invocationId)}`, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream', authorization } });
      } catch (err) {
        throw new RuntimeUnavailableError(`api at ${apiUrl} unreachable: ${(err as Error).message}`);
      }
      if (res.status === 429) throw quotaRefusal(await res.json().catch(() => null), bytes.length);
      if (!res.ok) throw new RuntimeUnavailableError(`PUT /blobs answered ${res.status}: ${await res.text().catch(() => '')}`);
      return ((await res.json()) as { id: string }).id;
    },
    async sendLiveLogs(invocationId, batch) {
      const res = await fetch(`${apiUrl}/logs/live?invocation=${encodeURIComponent(invocationId)}`, {
        method: 'POST', body: JSON.stringify(batch), headers: { 'content-type': 'application/json', authorization },
      });
      await res.arrayBuffer();
      if (!res.ok) throw new RuntimeUnavailableError(`POST /logs/live answered ${res.status}`);
    },
    async putArtifact(bytes) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      let res: Response;
      try {
        res = await fetch(`${apiUrl}/artifacts/${sha256}`, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/octet-stream', authorization } });
      } catch (err) {
        throw new RuntimeUnavailableError(`api at ${apiUrl} unreachable: ${(err as Error).message}`);
      }
      if (!res.ok) throw new RuntimeUnavailableError(`PUT /artifacts/${sha256} answered ${res.status}: ${await res.text()}`);
      return sha256;
    },
  };
}

const QuotaDetails = z.object({ details: z.object({ namespace: z.string(), quota: z.string(), limit: z.number(), used: z.number() }) });

/** The api's 429 for a blob as the QuotaExceededError it describes. */
function quotaRefusal(body: unknown, bytes: number): Error {
  const parsed = QuotaDetails.safeParse(body);
  if (!parsed.success) return new RuntimeUnavailableError('PUT /blobs answered 429 without its details');
  const { namespace, quota, limit, used } = parsed.data.details;
  return new QuotaExceededError({ namespace, quota, limit, used, why: `${used} bytes of blobs stored, this one adds ${bytes}` });
}

function errorText(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === 'string' ? error : undefined;
}

// The data plane's view of the api's content store: workers hold no database credentials,
// so they fetch artifacts and blobs over HTTP and verify what they get.
import { createHash } from 'node:crypto';
import { RuntimeUnavailableError } from '../shared/errors.js';

export interface BlobClient {
  getArtifact(sha256: string): Promise<Buffer>;
  getBlob(id: string): Promise<Buffer>;
  putBlob(bytes: Buffer): Promise<string>;
  /** Stores a build output by content hash (idempotent); resolves with its sha256. */
  putArtifact(bytes: Buffer): Promise<string>;
}

export function createBlobClient(apiUrl: string): BlobClient {
  async function get(path: string): Promise<Buffer> {
    let res: Response;
    try {
      res = await fetch(`${apiUrl}${path}`);
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
    async putBlob(bytes) {
      let res: Response;
      try {
        res = await fetch(`${apiUrl}/blobs`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
      } catch (err) {
        throw new RuntimeUnavailableError(`api at ${apiUrl} unreachable: ${(err as Error).message}`);
      }
      if (!res.ok) throw new RuntimeUnavailableError(`PUT /blobs answered ${res.status}`);
      return ((await res.json()) as { id: string }).id;
    },
    async putArtifact(bytes) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      let res: Response;
      try {
        res = await fetch(`${apiUrl}/artifacts/${sha256}`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
      } catch (err) {
        throw new RuntimeUnavailableError(`api at ${apiUrl} unreachable: ${(err as Error).message}`);
      }
      if (!res.ok) throw new RuntimeUnavailableError(`PUT /artifacts/${sha256} answered ${res.status}: ${await res.text()}`);
      return sha256;
    },
  };
}

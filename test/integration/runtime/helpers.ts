// Test helpers: a fixture folder as the tgz artifact the api would store.
import { readdir } from 'node:fs/promises';
import { create as tarCreate } from 'tar';

export async function tgzOfDir(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = tarCreate({ gzip: true, cwd: dir, portable: true }, await readdir(dir));
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

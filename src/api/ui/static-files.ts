// The built dashboard (dist/ui, made by scripts/build.sh), read into memory once when the api
// starts: a request names a file by a key of this map, so no request path ever reaches the
// file system (nothing to traverse, no link to follow).
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Files at most this large, and this many: the dashboard is a few hundred KiB. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
const MAX_FILES = 500;

/** Every regular file under dir by its path relative to it ('index.html', 'assets/x.js'); null when dir has no index.html. */
export async function loadStaticFiles(dir: string): Promise<Map<string, StaticFile> | null> {
  const files = new Map<string, StaticFile>();
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!entry.isFile() || files.size >= MAX_FILES) continue;
    const path = join(entry.parentPath, entry.name);
    const body = await readFile(path);
    if (body.length > MAX_FILE_BYTES) continue;
    files.set(relative(dir, path).split(sep).join('/'), { body, contentType: TYPES[extname(entry.name)] ?? 'application/octet-stream' });
  }
  return files.has('index.html') ? files : null;
}

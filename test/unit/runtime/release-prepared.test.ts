// Releasing a prepared container (io-dir.ts releasePrepared) against a real fifo in a temp dir:
// a reader that opens the fifo only after the release began (a run wrapper that `docker start`
// has not brought that far yet) still gets its "go"; a dir without a fifo has nothing to release.
import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { releasePrepared } from '../../../src/runtime/io/io-dir.js';

const dir = mkdtempSync(join(tmpdir(), 'caisson-release-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('releasePrepared', () => {
  it('waits for a reader that opens the fifo after the release began, and hands it "go"', async () => {
    execFileSync('mkfifo', ['-m', '0600', join(dir, 'go')]);
    const released = releasePrepared(dir);
    await new Promise((r) => setTimeout(r, 60));
    // The reader, late: as a run wrapper still starting up. Non-blocking open, then read what came.
    const reader = await open(join(dir, 'go'), constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      expect(await released).toBe(true);
      const { bytesRead, buffer } = await reader.read(Buffer.alloc(16), 0, 16, null);
      expect(buffer.subarray(0, bytesRead).toString()).toBe('go\n');
    } finally {
      await reader.close();
    }
  });

  it('a dir without a fifo has nothing to release', async () => {
    const plain = mkdtempSync(join(dir, 'plain-'));
    expect(await releasePrepared(plain)).toBe(false);
  });
});

import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMountHelper } from '../../../src/runtime/io/mount-helper.js';

describe('mount helper (one long-lived shell)', () => {
  it('runs commands in order, passes arguments verbatim, and rejects with the first line of stderr', async () => {
    const helper = createMountHelper();
    const dir = mkdtempSync(join(tmpdir(), "caisson-helper-it's $(x) `y`-"));
    await helper.run('mkfifo', ['-m', '0600', join(dir, 'a fifo')]);
    expect(statSync(join(dir, 'a fifo')).isFIFO()).toBe(true);
    await expect(helper.run('mkfifo', [join(dir, 'a fifo')])).rejects.toThrow(/File exists/);
    await expect(helper.run('umount', [join(dir, 'not-there')])).rejects.toThrow(/.+/);
    const both = await Promise.allSettled([helper.run('mkfifo', [join(dir, 'b')]), helper.run('mkfifo', [join(dir, 'b')])]);
    expect(both.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });
});

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inspectTgz } from '../../../src/shared/archive-inspect.js';
import { entryProblem, pathProblem, quoteName } from '../../../src/shared/archive-policy.js';
import { UnsafeArchiveError, ValidationError } from '../../../src/shared/errors.js';
import { manyFilesTgz, oneFileBomb, paxComment, TAR_END, tarEntry, tarEntryRawName, tgzOf, zeroBomb } from '../../support/archives.js';

const MiB = 1024 * 1024;
const limits = { maxExpandedBytes: 4 * MiB, maxEntries: 50 };
const file = (path: string, text = 'x = 1\n') => ({ path, body: Buffer.from(text) });

describe('inspectTgz', () => {
  it.each([
    ['one file of 2 GiB (its header declares it)', () => oneFileBomb(2 * 1024 * MiB), /expands to more than 4194304 bytes/],
    ['files that add up past the byte cap', () => manyFilesTgz(5, MiB), /expands to more than/],
    ['extended headers that add up past the byte cap', () => gzipSync(Buffer.concat([...Array.from({ length: 6 }, () => paxComment(900 * 1024)), tarEntry(file('a.py')), TAR_END])), /expands to more than/],
    ['an extended header over the parser\'s limit', () => gzipSync(Buffer.concat([paxComment(1100 * 1024), tarEntry(file('a.py')), TAR_END])), /"PaxHeader" \(ExtendedHeader\) is not allowed/],
    ['too many files', () => manyFilesTgz(51), /more than 50 entries/],
    ['a newline in a name', () => tgzOf([file('a\nb.py')]), /"a\\nb.py" is a name with control/],
    ['an escape sequence in a name', () => tgzOf([file('\u001b[2J.py')]), /control or unprintable/],
    ['a bidi override in a name', () => tgzOf([file('evil\u202egnp.py')]), /control or unprintable/],
    ['a control char in a long (pax) name', () => tgzOf([file(`${'d/'.repeat(60)}\u0007.py`)]), /control or unprintable/],
    ['bytes that are not UTF-8 in a name', () => gzipSync(Buffer.concat([tarEntryRawName(Buffer.from([0x61, 0xff, 0x2e, 0x70, 0x79]), Buffer.from('1')), TAR_END])), /unprintable/],
    ['a .. path', () => tgzOf([file('../evil.py')]), /\.\. component/],
    ['a nested .. path', () => tgzOf([file('a/../../evil.py')]), /\.\. component/],
    ['an absolute path', () => tgzOf([file('/etc/cron.d/evil')]), /absolute name/],
    ['a backslash path', () => tgzOf([file('..\\..\\evil.py')]), /backslash/],
    ['a symlink inside the tree', () => tgzOf([file('a.py'), { path: 'b.py', type: 'SymbolicLink', linkpath: 'a.py' }]), /SymbolicLink entry/],
    ['a symlink out', () => tgzOf([{ path: 'l', type: 'SymbolicLink', linkpath: '/etc/passwd' }]), /SymbolicLink entry/],
    ['a hard link', () => tgzOf([file('a.py'), { path: 'l', type: 'Link', linkpath: 'a.py' }]), /Link entry/],
    ['a character device', () => tgzOf([{ path: 'null', type: 'CharacterDevice' }]), /CharacterDevice entry/],
    ['a block device', () => tgzOf([{ path: 'sda', type: 'BlockDevice' }]), /BlockDevice entry/],
    ['a fifo', () => tgzOf([{ path: 'pipe', type: 'FIFO' }]), /FIFO entry/],
    ['a gzip inside the gzip', () => gzipSync(tgzOf([file('a.py')])), /compressed twice/],
    ['bytes that are not gzip', () => Buffer.from([0x1f, 0x8b, 9, 9, 9, 9]), /not a valid gzip stream/],
    ['a gzip that is not a tar', () => gzipSync('print(1)\n'), /not a valid tar archive/],
    ['a tar cut inside a file', () => gzipSync(tarEntry(file('a.py', 'x'.repeat(1000))).subarray(0, 700)), /Truncated input/],
    ['a gzip cut short', () => tgzOf([file('a.py')]).subarray(0, -10), /not a valid gzip stream/],
  ])('refuses %s', async (_name, make, why) => {
    const err = await inspectTgz(make(), limits).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeArchiveError);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('code');
    expect((err as Error).message).toMatch(why);
  });

  it('takes a good archive: files, directories, long names, a ./ prefix', async () => {
    const long = `${'deep/'.repeat(30)}module.py`;
    const bytes = tgzOf([{ path: './', type: 'Directory' }, { path: 'pkg/', type: 'Directory' }, file('./pkg/a.py'), file(long), file('日本語.py')]);
    expect(await inspectTgz(bytes, limits)).toMatchObject({ entries: 5, fileBytes: 18 });
  });

  it('stops at the end-of-archive blocks: trailing zeros are never inflated', async () => {
    const bytes = zeroBomb(Buffer.concat([tarEntry(file('a.py')), TAR_END]), 64 * MiB);
    const summary = await inspectTgz(bytes, limits);
    expect(summary.entries).toBe(1);
    expect(summary.expandedBytes).toBeLessThan(MiB);
  });
});

describe('pathProblem / entryProblem', () => {
  it.each([
    ['main.py', undefined],
    ['pkg/sub/mod.py', undefined],
    ['dir/', undefined],
    ['with space.py', undefined],
    ['', /empty/],
    ['a\tb', /control/],
    ['a\u0000b', /control/],
    ['a\u007fb', /control/],
    ['a\u0085b', /control/],
    ['a\u2028b', /control|unprintable/],
    ['C:/x', /absolute/],
    [`${'x'.repeat(256)}.py`, /component over 255/],
    [`${'d/'.repeat(600)}x`, /over 1024 bytes/],
  ])('pathProblem(%j)', (p, problem) => {
    const got = pathProblem(p);
    if (problem) expect(got).toMatch(problem);
    else expect(got).toBeUndefined();
  });

  it('quotes names escaped, so a message never carries a control character', () => {
    expect(entryProblem({ path: 'a\u001b[31m\u202e', type: 'File' })).toBe('"a\\u001b[31m\\u202e" is a name with control or unprintable characters');
    expect(quoteName('x'.repeat(500)).length).toBeLessThan(130);
  });
});

// Which of the worker's tmpfs mounts are stale: the mount table as the kernel writes it, the owner
// tag in the source field, and the rule (owner gone and no container of that name).
import { describe, expect, it } from 'vitest';
import { ownerAlive, ownerOf, parseMountInfo, startTimeOf, type MountOwner } from '../../../src/runtime/io/mount-table.js';
import { staleMounts } from '../../../src/runtime/lifecycle/stale-io-mounts.js';

const root = '/var/lib/caisson/worker/io';
const line = (id: number, point: string, fs: string, source: string) => `${id} 27 0:${id} / ${point} rw,relatime shared:1 - ${fs} ${source} rw,size=3072k`;

describe('the mount table', () => {
  it('parses mountinfo lines with optional fields and escaped paths, skipping malformed ones', () => {
    const text = [
      line(80, `${root}/caisson-inv-a-1`, 'tmpfs', 'caisson-io.123.456'),
      '81 27 0:81 / /mnt/with\\040space rw - tmpfs caisson-io rw',
      'garbage line',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { mountPoint: `${root}/caisson-inv-a-1`, fsType: 'tmpfs', source: 'caisson-io.123.456' },
      { mountPoint: '/mnt/with space', fsType: 'tmpfs', source: 'caisson-io' },
    ]);
  });

  it.each([
    ['caisson-io.123.456', { pid: 123, start: '456' }],
    ['caisson-io', 'unowned'],
    ['caisson-io.123', undefined],
    ['caisson-io.x.1', undefined],
    ['tmpfs', undefined],
    ['caisson-io.1.2.3', undefined],
  ])('the source %s names owner %j', (source, owner) => {
    expect(ownerOf(source)).toEqual(owner);
  });

  it('reads the start time after a command name holding spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field 3 onwards
    expect(startTimeOf(`42 (a b) c) ${fields.join(' ')}`)).toBe('22');
  });

  it('an owner is alive only while its pid runs with the same start time', () => {
    const stat = (start: number) => `7 (node) S ${Array.from({ length: 18 }, () => '0').join(' ')} ${start} 0 0`;
    const gone = Object.assign(new Error('gone'), { code: 'ENOENT' });
    expect(ownerAlive({ pid: 7, start: '99' }, () => stat(99))).toBe(true);
    expect(ownerAlive({ pid: 7, start: '99' }, () => stat(100))).toBe(false); // the pid was reused
    expect(ownerAlive({ pid: 7, start: '99' }, () => { throw gone; })).toBe(false);
    expect(ownerAlive({ pid: 7, start: '99' }, () => { throw Object.assign(new Error('no'), { code: 'EACCES' }); })).toBe(true);
    expect(ownerAlive('unowned')).toBe(false);
  });
});

describe('stale mounts', () => {
  // pid 1 stands for a live owner; every other pid has exited.
  const dead = (o: MountOwner) => o === 'unowned' || o.pid !== 1;
  it('are the worker\'s own tmpfs directly under the root whose owner is gone and whose container does not exist', () => {
    const table = parseMountInfo([
      line(1, `${root}/caisson-inv-dead-1`, 'tmpfs', 'caisson-io.9.9'),
      line(2, `${root}/caisson-inv-legacy-1`, 'tmpfs', 'caisson-io'),
      line(3, `${root}/caisson-inv-live-1`, 'tmpfs', 'caisson-io.1.1'), // this process's: a create under way
      line(4, `${root}/caisson-inv-running-1`, 'tmpfs', 'caisson-io.9.9'), // its container still exists
      line(5, `${root}/not-ours`, 'tmpfs', 'tmpfs'),
      line(6, `${root}/overlay`, 'overlay', 'caisson-io.9.9'),
      line(7, `${root}/a/deeper`, 'tmpfs', 'caisson-io.9.9'),
      line(8, `${root}-other/caisson-inv-x-1`, 'tmpfs', 'caisson-io.9.9'),
      line(9, `${root}/..`, 'tmpfs', 'caisson-io.9.9'),
      line(10, `${root}/stacked`, 'tmpfs', 'caisson-io.9.9'),
      line(11, `${root}/stacked`, 'tmpfs', 'caisson-io.8.8'),
      line(12, `${root}/shared`, 'tmpfs', 'caisson-io.9.9'),
      line(13, `${root}/shared`, 'tmpfs', 'other'),
    ].join('\n'));
    const stale = staleMounts({ table, root, containers: new Set(['caisson-inv-running-1']), alive: (o) => !dead(o) });
    expect(Object.fromEntries(stale)).toEqual({
      [`${root}/caisson-inv-dead-1`]: 1,
      [`${root}/caisson-inv-legacy-1`]: 1,
      [`${root}/stacked`]: 2,
    });
    // Every owner alive (as ownerAlive answers, an unowned mount has none): only the unowned one.
    expect([...staleMounts({ table, root, containers: new Set(), alive: (o) => o !== 'unowned' }).keys()]).toEqual([`${root}/caisson-inv-legacy-1`]);
  });
});

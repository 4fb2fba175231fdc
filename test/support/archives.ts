// Hand-made tar.gz archives for the archive tests: entries tar.create would refuse to write
// (links out, devices, control characters in names) and gzip bombs built in memory from one
// compressed block of zeros repeated as gzip members (gunzip reads them as one stream).
import { gzipSync } from 'node:zlib';
import { Header, type HeaderData, type types } from 'tar';

type EntryTypeName = types.EntryTypeName;

export interface RawEntry {
  path: string;
  type?: EntryTypeName;
  /** The size the header declares (default: the body's); no data is added for it. */
  size?: number;
  body?: Buffer;
  linkpath?: string;
}

/** One entry's header block(s) and its body padded to 512 bytes. Long names go in a pax header. */
export function tarEntry(entry: RawEntry): Buffer {
  const body = entry.body ?? Buffer.alloc(0);
  const size = entry.size ?? body.length;
  const type = entry.type ?? 'File';
  const blocks: Buffer[] = [];
  if (Buffer.byteLength(entry.path) > 99) {
    const record = paxRecord('path', entry.path);
    blocks.push(header({ path: 'PaxHeader', type: 'ExtendedHeader', size: record.length }), pad(record));
  }
  blocks.push(header({ path: entry.path.slice(0, 99), type, size, ...(entry.linkpath ? { linkpath: entry.linkpath } : {}) }));
  if (body.length > 0) blocks.push(pad(body));
  return Buffer.concat(blocks);
}

/** A file entry whose name is these raw bytes (e.g. not UTF-8), checksum fixed up. */
export function tarEntryRawName(name: Buffer, body: Buffer): Buffer {
  const entry = tarEntry({ path: 'x'.repeat(name.length), body });
  name.copy(entry, 0);
  entry.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += entry[i]!;
  entry.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return entry;
}

/** A pax extended header carrying `bytes` of comment: meta data the parser reads but no entry. */
export function paxComment(bytes: number): Buffer {
  const record = paxRecord('comment', 'x'.repeat(bytes));
  return Buffer.concat([header({ path: 'PaxHeader', type: 'ExtendedHeader', size: record.length }), pad(record)]);
}

/** Two zero blocks: the end of a tar archive. */
export const TAR_END = Buffer.alloc(1024);

export function tgzOf(entries: RawEntry[]): Buffer {
  return gzipSync(Buffer.concat([...entries.map(tarEntry), TAR_END]));
}

/**
 * A gzip stream that expands to `head` followed by zeroBytes zeros (a multiple of 1 MiB),
 * built from one deflated MiB of zeros repeated: ~1 KB per MiB, never the zeros themselves.
 */
export function zeroBomb(head: Buffer, zeroBytes: number, tail: Buffer = Buffer.alloc(0)): Buffer {
  const MiB = 1024 * 1024;
  const zeroMember = member(Buffer.alloc(MiB));
  const members = [member(head)];
  for (let i = 0; i < Math.ceil(zeroBytes / MiB); i++) members.push(zeroMember);
  if (tail.length > 0) members.push(member(tail));
  return Buffer.concat(members);
}

/** One file of `fileBytes` zeros (its header declares the size): the classic bomb. */
export function oneFileBomb(fileBytes: number): Buffer {
  return zeroBomb(tarEntry({ path: 'zeros.bin', size: fileBytes }), fileBytes, TAR_END);
}

/** `count` files of 1 MiB zeros each, ~1 KB compressed per file: under any ratio check per member. */
export function manyZeroFilesBomb(count: number): Buffer {
  const MiB = 1024 * 1024;
  const zeros = member(Buffer.alloc(MiB));
  const members: Buffer[] = [];
  for (let i = 0; i < count; i++) members.push(member(tarEntry({ path: `z/${i}.bin`, size: MiB })), zeros);
  members.push(member(TAR_END));
  return Buffer.concat(members);
}

/** `count` files of `each` bytes, compressed as one stream (a tar of many small files). */
export function manyFilesTgz(count: number, each = 0): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; i < count; i++) blocks.push(tarEntry({ path: `f/${i}.txt`, body: Buffer.alloc(each, 'x') }));
  blocks.push(TAR_END);
  return gzipSync(Buffer.concat(blocks));
}

function member(bytes: Buffer): Buffer {
  return gzipSync(bytes, { level: 9 });
}

function header(data: HeaderData): Buffer {
  const block = Buffer.alloc(512);
  new Header({ mode: data.type === 'Directory' ? 0o755 : 0o644, mtime: new Date(0), uid: 0, gid: 0, ...data }).encode(block, 0);
  return block;
}

function pad(bytes: Buffer): Buffer {
  return Buffer.concat([bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512)]);
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body);
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}


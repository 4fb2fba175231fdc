// Docker's multiplexed attach stream → capped stdout/stderr. Everything past a cap is
// counted and dropped, never buffered, so a function printing gigabytes costs no memory
// and never blocks on a full pipe.

/** Keeps the first capBytes of a byte stream and counts the rest. */
export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly capBytes: number) {}

  push(chunk: Buffer): void {
    const room = this.capBytes - this.kept;
    if (room >= chunk.length) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.kept += room;
    }
    this.dropped += chunk.length - Math.max(room, 0);
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  get droppedBytes(): number {
    return this.dropped;
  }

  /** The kept text, with a trailing marker when bytes were dropped. */
  text(): string {
    return truncatedText(Buffer.concat(this.chunks, this.kept).toString('utf8'), this.dropped);
  }
}

/** Kept text plus the marker saying how many bytes were dropped (also used by warm containers). */
export function truncatedText(body: string, droppedBytes: number): string {
  return droppedBytes > 0 ? `${body}\n…[truncated ${droppedBytes} bytes]` : body;
}

const MARKER = /\n…\[truncated (\d+) bytes\]$/;

/**
 * Text (maybe already ending in a truncation marker) cut to capBytes of its body, its marker
 * then counting every byte dropped, here and before.
 */
export function recapText(text: string, capBytes: number): string {
  const m = MARKER.exec(text);
  const body = Buffer.from(m ? text.slice(0, m.index) : text);
  if (body.length <= capBytes) return text;
  return truncatedText(body.subarray(0, capBytes).toString('utf8'), Number(m?.[1] ?? 0) + body.length - capBytes);
}

const HEADER_BYTES = 8;

/**
 * Parses Docker's stream framing (8-byte header: stream type, 3 zero bytes, big-endian
 * length) across arbitrary chunk boundaries, slicing payloads without copying them.
 * Stream 1 = stdout, 2 = stderr; anything else (0 = stdin echo) is ignored.
 */
export function createDemuxer(onFrame: (stream: number, payload: Buffer) => void): (chunk: Buffer) => void {
  const header = Buffer.alloc(HEADER_BYTES);
  let headerFill = 0;
  let stream = 0;
  let remaining = 0;

  return (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (remaining === 0) {
        const take = Math.min(HEADER_BYTES - headerFill, chunk.length - offset);
        chunk.copy(header, headerFill, offset, offset + take);
        headerFill += take;
        offset += take;
        if (headerFill < HEADER_BYTES) return;
        headerFill = 0;
        stream = header[0]!;
        remaining = header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(remaining, chunk.length - offset);
      onFrame(stream, chunk.subarray(offset, offset + take));
      remaining -= take;
      offset += take;
    }
  };
}

/** Demuxes into two capped buffers; with onStdout, stdout goes there raw instead; onStderr sees stderr too; onOutput both streams. */
export function createOutputCapture(caps: {
  stdoutCapBytes: number; stderrCapBytes: number; onStdout?: (chunk: Buffer) => void; onStderr?: (chunk: Buffer) => void;
  onOutput?: (stream: 1 | 2, chunk: Buffer) => void;
}) {
  const stdout = new CappedBuffer(caps.stdoutCapBytes);
  const stderr = new CappedBuffer(caps.stderrCapBytes);
  const onStdout = caps.onStdout ?? ((payload: Buffer) => stdout.push(payload));
  const push = createDemuxer((stream, payload) => {
    if (caps.onOutput && (stream === 1 || stream === 2)) caps.onOutput(stream, payload);
    if (stream === 1) onStdout(payload);
    else if (stream === 2) {
      stderr.push(payload);
      caps.onStderr?.(payload);
    }
  });
  return { push, stdout, stderr };
}

// Values that may be too big for workflow history travel as references to a blob kept by
// the api (Temporal warns at 512 KiB and rejects 2 MiB per payload).
export type PayloadRef = { inline: unknown } | { ref: string; sizeBytes: number };

export const isInline = (p: PayloadRef): p is { inline: unknown } => 'inline' in p;

/**
 * A value as a PayloadRef: inline when its JSON is at most `inlineBytes` bytes, else handed to
 * `store` as those bytes (the caller's blob store answers the blob's id). The one place the
 * inline threshold is applied to a value; called outside workflows only.
 */
export async function toPayloadRef(value: unknown, inlineBytes: number, store: (json: Uint8Array) => Promise<string>): Promise<PayloadRef> {
  const json = new TextEncoder().encode(JSON.stringify(value ?? null));
  if (json.byteLength <= inlineBytes) return { inline: value ?? null };
  return { ref: await store(json), sizeBytes: json.byteLength };
}

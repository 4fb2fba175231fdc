// Values that may be too big for workflow history travel as references to a blob kept by
// the api (Temporal warns at 512 KiB and rejects 2 MiB per payload).
export type PayloadRef = { inline: unknown } | { ref: string; sizeBytes: number };

export const isInline = (p: PayloadRef): p is { inline: unknown } => 'inline' in p;

// Temporal payload encryption: every payload a Caisson client or worker sends to Temporal is
// sealed with AES-256-GCM under the key derived from the master key for 'temporal-payloads', so
// Temporal's history, its database and its Web UI hold ciphertext only. The codec runs outside
// the workflow sandbox (the SDK applies it to whole activations and completions).
import { createHash, createSecretKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto'; // CommonJS: no named exports under Node's ESM loader
import { deriveKey, open, seal, SealError } from '../shared/sealing.js';

export const ENCODING_ENCRYPTED = 'binary/encrypted';
const ENCODING = 'encoding';
const KEY_ID = 'encryption-key-id';
/** Bound as additional data: a sealed payload never opens as any other kind of sealed value. */
const CONTEXT = 'temporal-payload';
const ProtoPayload = proto.temporal.api.common.v1.Payload;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class PayloadKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadKeyError';
  }
}

export interface CaissonPayloadCodec extends PayloadCodec {
  /** Names the key (not secret: a hash of it), written into each encrypted payload's metadata. */
  keyId: string;
}

/**
 * The codec of one master key. The key is derived once here, never per call. Payloads without
 * the encrypted encoding pass decode unchanged: histories written before encryption still replay.
 */
export function createPayloadCodec(master: Buffer): CaissonPayloadCodec {
  const derived = deriveKey(master, 'temporal-payloads');
  const keyId = createHash('sha256').update('caisson/temporal-payloads/key-id').update(derived).digest('hex').slice(0, 16);
  // A KeyObject is imported once; a raw key would be imported again by every cipher made with it.
  const key = createSecretKey(derived);
  // The same two values on every payload, encoded once (a map of its own per payload).
  const encodingBytes = encoder.encode(ENCODING_ENCRYPTED);
  const keyIdBytes = encoder.encode(keyId);
  const encodeOne = (payload: Payload): Payload => ({
    metadata: { [ENCODING]: encodingBytes, [KEY_ID]: keyIdBytes },
    data: seal(key, ProtoPayload.encode(payload).finish(), CONTEXT),
  });
  const decodeOne = (payload: Payload): Payload => {
    if (!isEncrypted(payload)) return payload;
    const sealedWith = text(payload.metadata?.[KEY_ID]);
    if (sealedWith !== keyId) {
      throw new PayloadKeyError(
        `a Temporal payload is encrypted with key ${sealedWith ?? '(none named)'} but this process holds key ${keyId}: ` +
        'the api and every worker need the same CAISSON_SECRETS_KEY (or the same secrets key file)');
    }
    try {
      const decoded = ProtoPayload.decode(open(key, payload.data ?? new Uint8Array(), CONTEXT));
      // An empty bytes field decodes to protobufjs's default, which may be a plain array.
      const data = decoded.data instanceof Uint8Array ? decoded.data : new Uint8Array(decoded.data ?? []);
      return { metadata: decoded.metadata, data };
    } catch (err) {
      if (err instanceof SealError) throw new PayloadKeyError(`a Temporal payload marked with key ${keyId} does not open: ${err.message}`);
      throw err;
    }
  };
  return {
    keyId,
    // Synchronous work behind the async interface: sealing a small payload takes microseconds.
    encode: async (payloads) => payloads.map(encodeOne),
    decode: async (payloads) => payloads.map(decodeOne),
  };
}

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.[ENCODING]) === ENCODING_ENCRYPTED;
}

/** Failures' messages and stack traces travel encoded (then sealed): see failure-converter.cjs. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

/** The data converter every Caisson Temporal client and worker uses (workflow bundles take FAILURE_CONVERTER_PATH). */
export function dataConverterFor(codec: PayloadCodec): { payloadCodecs: PayloadCodec[]; failureConverterPath: string } {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** A payload read from a fetched history, through a client's codecs (last first, as the SDK does). */
export async function decodeFetched(codecs: readonly PayloadCodec[], payload: Payload): Promise<Payload> {
  let out = [payload];
  for (let i = codecs.length - 1; i >= 0; i--) out = await codecs[i]!.decode(out);
  return out[0]!;
}

function text(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? decoder.decode(bytes) : undefined;
}

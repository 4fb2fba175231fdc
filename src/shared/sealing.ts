// AES-256-GCM sealing with keys derived from one master key (CAISSON_SECRETS_KEY, or the file
// the api makes on first start). One master, one derived key per purpose: a secret sealed at
// rest can never be opened as a Temporal payload and the other way round.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

export const MASTER_KEY_BYTES = 32;

/** What a derived key is for; the label is HKDF's info, so changing it changes the key. */
export type KeyPurpose = 'secrets-at-rest' | 'temporal-payloads' | 'ui-sessions';

const FORMAT_V1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

/** A new random master key, base64 (the form CAISSON_SECRETS_KEY and the key file hold). */
export function newMasterKey(): string {
  return randomBytes(MASTER_KEY_BYTES).toString('base64');
}

/** Parses a master key written as base64 (44 chars) or hex (64 chars); anything else is refused. */
export function parseMasterKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== MASTER_KEY_BYTES || (!/^[0-9a-fA-F]{64}$/.test(t) && key.toString('base64') !== t)) {
    throw new SealError(`the secrets key must be ${MASTER_KEY_BYTES} bytes, written as base64 or hex`);
  }
  return key;
}

/** The key for one purpose: HKDF-SHA256 of the master key. */
export function deriveKey(master: Buffer, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `caisson/${purpose}/v1`, 32));
}

/**
 * A random IV, cut from a buffer of random bytes drawn 256 IVs at a time: one call into the CSPRNG
 * per IV cost more than the rest of sealing a small Temporal payload. Every IV is still random.
 */
const IV_POOL_IVS = 256;
const ivPool = { bytes: Buffer.alloc(0), at: 0 };
function nextIv(): Buffer {
  if (ivPool.at >= ivPool.bytes.length) {
    ivPool.bytes = randomBytes(IV_BYTES * IV_POOL_IVS);
    ivPool.at = 0;
  }
  ivPool.at += IV_BYTES;
  return ivPool.bytes.subarray(ivPool.at - IV_BYTES, ivPool.at);
}

/**
 * version(1) | iv(12) | tag(16) | ciphertext. `context` is bound as additional data: a value
 * sealed for one context (e.g. a secret's namespace and name) does not open in another.
 */
export function seal(key: Buffer | KeyObject, plaintext: Uint8Array, context = ''): Buffer {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_V1]), iv, cipher.getAuthTag(), body]);
}

/** The plaintext of `seal`'s output; a SealError when the key, the context or any byte is wrong. */
export function open(key: Buffer | KeyObject, sealed: Uint8Array, context = ''): Buffer {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (buf.length < HEADER_BYTES || buf[0] !== FORMAT_V1) throw new SealError('not a sealed value of a known format');
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(1, 1 + IV_BYTES));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(buf.subarray(1 + IV_BYTES, HEADER_BYTES));
  try {
    return Buffer.concat([decipher.update(buf.subarray(HEADER_BYTES)), decipher.final()]);
  } catch {
    throw new SealError('the sealed value does not open with this key (wrong key, wrong context or tampered)');
  }
}

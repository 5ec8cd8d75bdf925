import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Reads the credential-encryption key: 32 bytes, as a Buffer, 64 hex characters or
 * base64. Throws a `TypeError` that says what was wrong (never the key itself).
 */
export function readKey(key: unknown): Buffer {
  let bytes: Buffer | undefined;
  if (Buffer.isBuffer(key) || key instanceof Uint8Array) bytes = Buffer.from(key);
  else if (typeof key === 'string') {
    bytes = /^[0-9a-fA-F]{64}$/.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
  }
  if (bytes?.length !== 32) {
    throw new TypeError(
      'inbatch: redisJobStore option "key" must be 32 bytes (a Buffer, 64 hex characters or base64), e.g. crypto.randomBytes(32).toString("hex"); the same key on every instance',
    );
  }
  return bytes;
}

/**
 * Encrypts a job's plan (it carries the outer request's credentials) with AES-256-GCM. The
 * job id is the associated data, so a sealed plan can't be swapped onto another job.
 */
export function seal(key: Buffer, jobId: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(jobId));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Decrypts a sealed plan; throws when the key, the job id or the bytes don't match. */
export function unseal(key: Buffer, jobId: string, sealed: Buffer): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
    throw new Error(`inbatch: the stored plan of job ${jobId} is not in a known format`);
  }
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(jobId));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
}

import { createHash, type Hash } from 'node:crypto';
import type { BatchEntry } from '../operation.js';
import type { JobFormat } from './format.js';
import type { JobWebhook } from './job.js';

/** What of a submission its fingerprint covers: the batch as the client wrote it. */
export interface FingerprintInput {
  format: JobFormat;
  /** The batch endpoint's path from the host root. */
  endpoint: string;
  entries: readonly BatchEntry[];
  webhook: JobWebhook | null;
}

/** Adds one field, length-prefixed so no two different field lists hash the same bytes. */
function field(hash: Hash, value: string | Buffer | undefined): void {
  if (value === undefined) {
    hash.update('-;');
    return;
  }
  hash.update(`${typeof value === 'string' ? Buffer.byteLength(value) : value.length}:`);
  hash.update(value);
}

/**
 * A SHA-256 of what a batch asks for, so a reused `Idempotency-Key` with a different
 * batch can be told from a retry (IETF httpapi idempotency-key draft: 422).
 *
 * It covers the dialect, the endpoint, the webhook block and each operation as written:
 * method, target, its own header fields, body bytes, dependencies, label (and the bulk
 * item), or the refusal found while parsing. Not the prepared requests: those inherit
 * the outer headers and query (a rotated token, a fresh `traceparent`, a proxy's
 * `X-Forwarded-For`), which change between two sends of the same batch. Bodies are
 * hashed as they are, never copied or stringified.
 */
export function submissionFingerprint(input: FingerprintInput): string {
  const hash = createHash('sha256');
  field(hash, input.format.kind);
  field(hash, input.endpoint);
  field(hash, input.webhook?.callbackUrl);
  field(hash, input.webhook?.email);
  field(hash, String(input.entries.length));
  for (const entry of input.entries) {
    const described = input.format.describe(entry);
    field(hash, described.method);
    field(hash, described.endpoint);
    field(hash, described.label);
    // A bulk item is parsed JSON the client sent (small; its key order is the client's).
    field(hash, described.item === undefined ? undefined : JSON.stringify(described.item));
    field(hash, entry.dependsOn?.join(','));
    const { operation, refusal } = entry;
    field(hash, refusal === undefined ? undefined : `${refusal.code} ${refusal.message}`);
    field(hash, operation?.method);
    field(hash, operation?.target);
    field(hash, operation === undefined ? undefined : String(operation.headers.length));
    for (const [name, value] of operation?.headers ?? []) {
      field(hash, name);
      field(hash, value);
    }
    field(hash, operation?.body);
  }
  return hash.digest('hex');
}

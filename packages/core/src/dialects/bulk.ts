import { BatchError } from '../errors.js';
import type { JobFormat } from '../jobs/format.js';
import { isSuccess, type JobAnswer, type JobOperation, type JobRecord } from '../jobs/job.js';
import type { BatchEntry } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import type { BulkItem, CompiledBulkResource } from './bulk-rules.js';

/** What the bulk dialect keeps of each item. */
export interface BulkMeta {
  item: BulkItem;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads the JSON array of a `PATCH {bulkPath}/{resource}` (the bulk seed): 1 to
 * `maxBulkItems` objects, each mapped to one inner request by the resource's rule. An
 * item that can't fill the rule is refused in its slot.
 */
export function parseBulkItems(
  value: unknown,
  resource: CompiledBulkResource,
  options: ResolvedOptions,
): BatchEntry<BulkMeta>[] {
  if (!Array.isArray(value)) {
    throw new BatchError('batch.malformed', `A bulk ${resource.name} request is a JSON array of items.`);
  }
  if (value.length === 0) throw new BatchError('batch.empty', 'The batch has no items.');
  const max = Math.min(options.maxBulkItems, options.maxOperations);
  if (value.length > max) {
    throw new BatchError('batch.too_many_operations', `A bulk request may carry at most ${max} items.`, {
      where: { part: max + 1 },
      limit: max,
    });
  }
  return (value as unknown[]).map((item, index) => {
    const where = { part: index + 1 };
    if (!isRecord(item)) {
      throw new BatchError('batch.malformed', `Item ${index + 1} is not an object.`, { where });
    }
    try {
      return { where, meta: { item }, operation: resource.toOperation(item) };
    } catch (error) {
      if (error instanceof BatchError) return { where, meta: { item }, refusal: error.at(where) };
      throw error;
    }
  });
}

/** The bulk seed's per-item `message`: the answer's own message when it has one, else its reason phrase. */
function messageOf(answer: JobAnswer): string {
  if (answer.outcome === 'cancelled') return 'cancelled';
  const type = answer.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  if (/json/i.test(type)) {
    try {
      const body = JSON.parse(answer.body.toString('utf8')) as unknown;
      if (isRecord(body)) {
        const error = body.error;
        const found = [
          body.message,
          isRecord(error) ? error.message : error,
          body.detail, // RFC 9457 problem details
          body.title,
        ].find((candidate): candidate is string => typeof candidate === 'string' && candidate !== '');
        if (found !== undefined) return found;
      }
    } catch {
      // not JSON after all: fall back to the reason phrase
    }
  }
  return answer.statusText;
}

/**
 * One item as the bulk seed lists it: `id`, the item's own fields, then `status`. The
 * item's own `id` and `status` fields, if any, are left out: the seed's names win.
 */
function itemObject(operation: JobOperation, answer: JobAnswer | undefined): Record<string, unknown> {
  const item: Record<string, unknown> = { id: operation.uuid };
  for (const [key, value] of Object.entries(operation.item ?? {})) {
    if (key !== 'id' && key !== 'status') item[key] = value;
  }
  const success = answer !== undefined && isSuccess(answer);
  item.status = {
    success,
    message: answer === undefined ? 'pending' : messageOf(answer),
    // The seed: INSERT when the item was created (201), UPDATE for any other success.
    process: success ? (answer.status === 201 ? 'INSERT' : 'UPDATE') : null,
  };
  return item;
}

/** The seed's state names: PENDING/RUNNING/PARTIAL/FAILED answer 206, SUCCESS 200. */
function bulkState(job: JobRecord): 'PENDING' | 'RUNNING' | 'PARTIAL' | 'FAILED' | 'SUCCESS' {
  switch (job.state) {
    case 'pending':
      return 'PENDING';
    case 'running':
      return 'RUNNING';
    case 'succeeded':
      return 'SUCCESS';
    case 'partial':
      return 'PARTIAL';
    case 'failed':
      return 'FAILED';
    case 'cancelled':
      // Some items ran, the rest were cancelled: processed partially, or not at all.
      return job.progress.done - job.progress.failed > 0 ? 'PARTIAL' : 'FAILED';
  }
}

/** How bulk jobs read: `202 {"batchId"}`, then `{batchId, status, data}` with 206 until SUCCESS. */
export const bulkFormat: JobFormat = {
  kind: 'bulk',
  submitStatus: 202,
  submitted: (id) => ({ batchId: id }),
  describe(entry) {
    const { item } = entry.meta as BulkMeta;
    return {
      method: entry.operation?.method ?? '',
      endpoint: entry.operation?.target ?? '',
      label: undefined,
      item,
    };
  },
  status(job) {
    const state = bulkState(job);
    const body: Record<string, unknown> = { batchId: job.id, status: state };
    // The seed: the per-item list appears once processing ended (FAILED, SUCCESS, PARTIAL).
    if (state !== 'PENDING' && state !== 'RUNNING') {
      body.data = job.operations.map((operation, index) => itemObject(operation, job.answers[index]));
    }
    return { status: state === 'SUCCESS' ? 200 : 206, body };
  },
  word: bulkState,
  line: (job, index) => itemObject(job.operations[index] as JobOperation, job.answers[index]),
  result: () => undefined,
};

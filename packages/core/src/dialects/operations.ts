import { BatchError } from '../errors.js';
import { bodyText, isoSeconds, statusDocument, statusWord, type JobFormat } from '../jobs/format.js';
import type { JobAnswer, JobOperation, JobRecord, JobWebhook } from '../jobs/job.js';
import type { BatchEntry, RawOperation } from '../operation.js';
import type { ResolvedOptions } from '../options.js';
import { checkOperationCount, type JsonJobDialect } from './dialect.js';

/** What the operations dialect keeps of each operation as written. */
export interface OperationsMeta {
  operationId: string;
  method: string;
  endpoint: string;
}

// The seed: "body … solo útil cuando el método es POST o PUT"; PATCH carries a body too.
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const MAX_ID_LENGTH = 256;
const MAX_EMAIL_LENGTH = 254;
const JSON_HEADERS = [['content-type', 'application/json']] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function readWebhook(value: unknown): JobWebhook | null {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) throw new BatchError('batch.malformed', 'batch.webhook must be an object.');
  const webhook: JobWebhook = {};
  const { callbackUrl, email } = value;
  if (callbackUrl !== undefined && callbackUrl !== null && callbackUrl !== '') {
    if (typeof callbackUrl !== 'string' || callbackUrl.length > 2048) {
      throw new BatchError('batch.malformed', 'batch.webhook.callbackUrl must be a URL of at most 2048 characters.');
    }
    webhook.callbackUrl = callbackUrl;
  }
  if (email !== undefined && email !== null && email !== '') {
    // Handed to the app's onComplete hook as it is: checked only for shape, so a header
    // injection can't ride on it into a mailer (THREATS T19).
    if (typeof email !== 'string' || email.length > MAX_EMAIL_LENGTH || !/^[^\s@<>,;]+@[^\s@<>,;]+$/.test(email)) {
      throw new BatchError('batch.malformed', 'batch.webhook.email must be an e-mail address.');
    }
    webhook.email = email;
  }
  return webhook.callbackUrl === undefined && webhook.email === undefined ? null : webhook;
}

function toEntry(operation: Record<string, unknown>, index: number, operationId: string): BatchEntry<OperationsMeta> {
  const where = { part: index + 1, operationId };
  const rawMethod = typeof operation.method === 'string' ? operation.method : '';
  const endpoint = typeof operation.endpoint === 'string' ? operation.endpoint : '';
  const meta = { operationId, method: rawMethod.toUpperCase(), endpoint };
  try {
    if (rawMethod === '') throw new BatchError('batch.part.method', 'The operation has no method.');
    if (endpoint === '') throw new BatchError('batch.part.target', 'The operation has no endpoint.');
    const method = rawMethod.toUpperCase();
    const bodyValue = operation.body;
    // The seed sends `body` as a string (JSON text); a JSON value is accepted too. An empty
    // string is no body, so a GET written with `"body": ""` is not refused for it.
    const hasBody = bodyValue !== undefined && bodyValue !== null && bodyValue !== '';
    if (hasBody && !BODY_METHODS.has(method)) {
      throw new BatchError('batch.part.malformed', `A body is sent only with POST, PUT or PATCH, not with ${method}.`);
    }
    const raw: RawOperation = {
      method,
      target: endpoint,
      headers: hasBody ? JSON_HEADERS : [],
      body: hasBody
        ? Buffer.from(typeof bodyValue === 'string' ? bodyValue : JSON.stringify(bodyValue), 'utf8')
        : undefined,
    };
    return { where, meta, operation: raw };
  } catch (error) {
    if (error instanceof BatchError) return { where, meta, refusal: error.at(where) };
    throw error;
  }
}

/**
 * Reads `{"batch":{"operations":[{"operationId","method","endpoint","body"}],"webhook":{…}}}`
 * (the operations seed). `operationId` is required and unique; a bad method, endpoint or
 * body refuses only its operation.
 */
export function parseOperationsBatch(
  value: unknown,
  options: ResolvedOptions,
): { entries: BatchEntry<OperationsMeta>[]; webhook: JobWebhook | null } {
  const batch = isRecord(value) ? value.batch : undefined;
  if (!isRecord(batch) || !Array.isArray(batch.operations)) {
    throw new BatchError('batch.malformed', 'An operations batch is {"batch":{"operations":[…]}}.');
  }
  const list = batch.operations as unknown[];
  checkOperationCount(list.length, options.maxOperations);
  const seen = new Map<string, number>();
  const entries = list.map((operation, index) => {
    if (!isRecord(operation)) {
      throw new BatchError('batch.malformed', `Operation ${index + 1} is not an object.`, {
        where: { part: index + 1 },
      });
    }
    const operationId = text(operation.operationId);
    if (operationId === undefined || operationId === '' || operationId.length > MAX_ID_LENGTH) {
      throw new BatchError(
        'batch.malformed',
        `Operation ${index + 1} has no "operationId" (a non-empty string of at most ${MAX_ID_LENGTH} characters).`,
        { where: { part: index + 1 } },
      );
    }
    const earlier = seen.get(operationId);
    if (earlier !== undefined) {
      throw new BatchError(
        'batch.duplicate_id',
        `Operations ${earlier + 1} and ${index + 1} both have the operationId "${operationId}".`,
        { where: { part: index + 1, operationId } },
      );
    }
    seen.set(operationId, index);
    return toEntry(operation, index, operationId);
  });
  return { entries, webhook: readWebhook(batch.webhook) };
}

/** `{"batch":{…}}` batches of the operations seed, always answered as jobs. */
export const operationsDialect: JsonJobDialect<OperationsMeta> = {
  name: 'operations',
  claims: (value) => isRecord(value) && isRecord(value.batch),
  parse: parseOperationsBatch,
};

/**
 * One answer as the seed's status document lists it; keys in the seed's order (body,
 * completedAt, endpoint, method, operationId, status, statusCode, statusText, uuid).
 */
function responseObject(operation: JobOperation, answer: JobAnswer): Record<string, unknown> {
  const cancelled = answer.outcome === 'cancelled';
  const { body, base64 } = cancelled ? { body: '', base64: false } : bodyText(answer);
  return {
    body,
    ...(base64 ? { bodyEncoding: 'base64' } : {}),
    completedAt: isoSeconds(answer.completedAt),
    endpoint: operation.endpoint,
    method: operation.method,
    operationId: operation.label ?? null,
    status: cancelled ? 'cancelled' : 'finished',
    statusCode: cancelled ? null : answer.status,
    statusText: cancelled ? '' : answer.statusText,
    uuid: operation.uuid,
  };
}

/** How operations jobs read: `201 {"uuid"}`, the seed's status document, one seed response per JSONL line. */
export const operationsFormat: JobFormat = {
  kind: 'operations',
  submitStatus: 201,
  submitted: (id) => ({ uuid: id }),
  describe(entry) {
    const meta = entry.meta as OperationsMeta;
    return { method: meta.method, endpoint: meta.endpoint, label: meta.operationId };
  },
  status(job: JobRecord) {
    const responses: Array<Record<string, unknown>> = [];
    job.answers.forEach((answer, index) => {
      const operation = job.operations[index];
      if (answer !== undefined && operation !== undefined) responses.push(responseObject(operation, answer));
    });
    const webhook =
      job.webhook === null ? null : { callbackUrl: job.webhook.callbackUrl ?? null, email: job.webhook.email ?? null };
    return { status: 200, body: statusDocument(job, { responses }, { webhook }) };
  },
  word: statusWord,
  line(job, index) {
    const operation = job.operations[index] as JobOperation;
    const answer = job.answers[index];
    return answer === undefined ? null : responseObject(operation, answer);
  },
  result: () => undefined,
};

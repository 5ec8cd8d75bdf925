import type { BatchErrorCode, HeaderField, JobAnswer, JobRecord, JobState, NewJob } from '@inbatch/core';

const NEWLINE = 0x0a;

/** The parts of a job that never change after creation, kept as one JSON field. */
export type JobHead = Pick<
  NewJob,
  'id' | 'owner' | 'kind' | 'createdAt' | 'statusTtlMs' | 'resultTtlMs' | 'operations' | 'webhook'
>;

export function headOf(job: NewJob): JobHead {
  return {
    id: job.id,
    owner: job.owner,
    kind: job.kind,
    createdAt: job.createdAt,
    statusTtlMs: job.statusTtlMs,
    resultTtlMs: job.resultTtlMs,
    operations: job.operations,
    webhook: job.webhook,
  };
}

interface AnswerMeta {
  o: 'a' | 'c';
  s: number;
  t: string;
  h: HeaderField[];
  e?: BatchErrorCode;
  c: number;
}

/** One answer as stored: its metadata as a JSON line, then the body's raw bytes (no base64). */
export function encodeAnswer(answer: JobAnswer): Buffer {
  const meta: AnswerMeta = {
    o: answer.outcome === 'answered' ? 'a' : 'c',
    s: answer.status,
    t: answer.statusText,
    h: answer.headers.map(([name, value]) => [name, value] as const),
    c: answer.completedAt,
  };
  if (answer.errorCode !== undefined) meta.e = answer.errorCode;
  return Buffer.concat([Buffer.from(`${JSON.stringify(meta)}\n`), answer.body]);
}

export function decodeAnswer(stored: Buffer): JobAnswer {
  const end = stored.indexOf(NEWLINE);
  const meta = JSON.parse(stored.subarray(0, end).toString('utf8')) as AnswerMeta;
  return {
    outcome: meta.o === 'a' ? 'answered' : 'cancelled',
    status: meta.s,
    statusText: meta.t,
    headers: meta.h,
    body: Buffer.from(stored.subarray(end + 1)),
    ...(meta.e === undefined ? {} : { errorCode: meta.e }),
    completedAt: meta.c,
  };
}

const numberOrNull = (value: string | undefined): number | null =>
  value === undefined || value === '' ? null : Number(value);

/** A job from its hash and its answers hash; undefined when the hash is gone. */
export function decodeJob(fields: Record<string, string>, answers: Record<string, Buffer>): JobRecord | undefined {
  if (fields.head === undefined) return undefined;
  const head = JSON.parse(fields.head) as JobHead;
  const slots = new Array<JobAnswer | undefined>(head.operations.length).fill(undefined);
  for (const [index, stored] of Object.entries(answers)) {
    const at = Number(index);
    if (Number.isInteger(at) && at >= 0 && at < slots.length) slots[at] = decodeAnswer(stored);
  }
  return {
    ...head,
    state: fields.state as JobState,
    cancelRequested: fields.cancel === '1',
    startedAt: numberOrNull(fields.startedAt),
    updatedAt: Number(fields.updatedAt),
    completedAt: numberOrNull(fields.completedAt),
    answers: slots,
    progress: {
      total: head.operations.length,
      done: Number(fields.done ?? 0),
      failed: Number(fields.failed ?? 0),
      cancelled: Number(fields.cancelled ?? 0),
    },
    resultBytes: Number(fields.bytes ?? 0),
  };
}

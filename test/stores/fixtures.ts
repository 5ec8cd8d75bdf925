/** Jobs, answers and claims for the JobStore tests, at a fixed clock. */
import type { JobAnswer, JobStore, NewJob } from '@inbatch/core';

export const T0 = 1_000_000;
export const MINUTE = 60_000;

export function newJob(id: string, owner = 'owner-a', operations = 2): NewJob {
  return {
    id,
    owner,
    kind: 'operations',
    createdAt: T0,
    statusTtlMs: 10 * MINUTE,
    resultTtlMs: 60 * MINUTE,
    operations: Array.from({ length: operations }, (_, i) => ({
      uuid: `op-${i}`,
      method: 'GET',
      endpoint: `/items/${i}`,
      label: `op${i}`,
    })),
    webhook: null,
  };
}

export function answer(status: number, bytes = 10, completedAt = T0): JobAnswer {
  return { outcome: 'answered', status, statusText: 'X', headers: [], body: Buffer.alloc(bytes), completedAt };
}

export const claim = (extra: Partial<Parameters<JobStore['create']>[1]> = {}) => ({
  exclusive: false,
  idempotency: undefined,
  reserveBytes: 100,
  now: T0,
  ...extra,
});

export async function finished(store: JobStore, id: string, owner?: string, at = T0): Promise<void> {
  await store.create(newJob(id, owner), claim({ now: at }));
  await store.finish(id, 'succeeded', at);
}

import type { Framework } from './apps.js';

/**
 * Bytes allocated on the server's V8 heap per inner request by `batch()` at N = 1000
 * (GET scenario, median over rotations), measured on the engine as it was before issue
 * 15's work (`main` at `commit`): the "today" that the allocation target halves. A second
 * full run reproduced these within 1 %; its tables are bench/BASELINE-2026-12-07.md.
 */
export const ALLOC_BASELINE = {
  date: '2026-12-07',
  commit: '76c30b4',
  command: 'pnpm bench',
  bytesPerInner: {
    express: { 'inbatch-multipart': 18_531, 'inbatch-json': 18_947 },
    koa: { 'inbatch-multipart': 20_383, 'inbatch-json': 21_088 },
  } satisfies Partial<Record<Framework, Record<string, number>>>,
} as const;

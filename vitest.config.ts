import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the `inbatch-source`
// export condition, so tests never run against a stale build.
const conditions = ['inbatch-source', ...defaultServerConditions];
// Tests run in Node: dependencies resolve as Node resolves them, without the bundlers'
// `module` condition, whose builds (@opentelemetry/api's) Node itself can't load.
const nodeConditions = conditions.filter((condition) => condition !== 'module');

// The suites that dispatch inner requests through a real app: they run a second time
// through the reference dispatcher (light-my-request), so any difference between it and
// the fast one fails a test (docs/decisions/0005-fast-dispatcher.md). test/differential
// compares the two directly and runs once.
const THROUGH_BOTH_DISPATCHERS = [
  'test/compat/**/*.test.ts',
  'test/conformance/**/*.test.ts',
  'test/security/**/*.test.ts',
  'test/async/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/tracing/**/*.test.ts',
  'examples/test/**/*.test.ts',
  'packages/client/test/**/*.test.ts',
];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    // One id per run for Redis key prefixes; the run's keys are deleted at its end.
    globalSetup: ['test/support/redis-run.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          // The dispatcher batch() defaults to: `fast`, or INBATCH_DISPATCHER when set.
          name: 'default',
          include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/test/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          // The async suite and the client's jobs tests again, on the Redis job store (one
          // contract suite, two stores).
          // Retention runs on fake timers, which BullMQ's own timers can't run under; the
          // Redis store's expiry has its own tests in packages/redis/test.
          name: 'redis',
          include: ['test/async/**/*.test.ts', 'packages/client/test/jobs*.test.ts'],
          exclude: ['test/async/retention.test.ts'],
          env: { INBATCH_TEST_STORE: 'redis' },
        },
      },
      {
        extends: true,
        test: {
          name: 'light-my-request',
          include: THROUGH_BOTH_DISPATCHERS,
          // Hono's inner requests are fetch Requests, with no Node dispatcher to compare.
          exclude: [...configDefaults.exclude, 'test/compat/hono-*.test.ts'],
          env: { INBATCH_DISPATCHER: 'light-my-request' },
          isolate: false,
        },
      },
    ],
  },
});

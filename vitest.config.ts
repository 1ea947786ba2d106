import { defineConfig } from 'vitest/config';

// Tiers: test/unit (no addon, no ../shared: `npm run test:unit`, seconds), test/native (the addon in-process, real
// data), test/e2e (the CLI, a service, the browser report, the packed package); helpers in test/support/.
// Tests run in forked processes (LibTorch and worker threads do not mix well), two at a time with one LibTorch
// thread each so that the 2-core CI machine is not oversubscribed. Temporary files go under one folder per run,
// removed at its end (test/support/temp-root.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/temp-root.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    env: { TTL_TORCH_THREADS: '1' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

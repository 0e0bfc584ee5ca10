import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Vapi's spec compiled into validators once per run, not once per test file (test/support/vapi-spec.ts).
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
    pool: 'forks',
    // Both cores: vitest's default (CPUs − 1) runs the files one at a time on 2 cores, though most
    // end-to-end tests spend their time waiting on the processes and timeouts they start.
    maxWorkers: 2,
  },
});

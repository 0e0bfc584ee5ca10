import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
    pool: 'forks',
    // Both cores: vitest's default (CPUs − 1) runs the files one at a time on 2 cores, though most
    // end-to-end tests spend their time waiting on the processes and timeouts they start.
    maxWorkers: 2,
  },
});

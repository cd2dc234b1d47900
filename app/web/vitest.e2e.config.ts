import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Browser tests (e2e/*.e2e.ts): one platform (devrun: PostgreSQL + Redis when installed, the
// backend, the production web build) started once by the global setup and shared by the files,
// which run one after another in one process so two games never compete for the two cores.
export default defineConfig({
  resolve: { alias: { '@': path.resolve(__dirname, 'src') } },
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/globalSetup.ts'],
    setupFiles: ['e2e/setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    sequence: { shuffle: false },
    // Whole games with real waits: generous per test, and every wait inside has its own limit.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    retry: 0,
    reporters: ['verbose'],
  },
});

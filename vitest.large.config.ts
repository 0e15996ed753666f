import { defineConfig } from 'vitest/config';

// `npm run test:large`: archives over 4 GiB, minutes and about 9 GB of temp space; not in `npm test`.
export default defineConfig({
  test: {
    include: ['test/large/**/*.test.ts'],
    maxWorkers: 1,
    testTimeout: 3_600_000,
    hookTimeout: 600_000,
  },
});

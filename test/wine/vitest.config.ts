import { defineConfig } from 'vitest/config';

// Only for `npm run test:wine` (test/wine/run.sh): the default `npm test` includes *.test.ts only.
export default defineConfig({
  test: {
    include: ['test/wine/**/*.wine.ts'],
    maxWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});

import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Archives over 4 GiB take minutes and 9 GB: `npm run test:large` (vitest.large.config.ts).
    exclude: [...configDefaults.exclude, 'test/large/**'],
    // Integration tests each start their own Dovecot; two cores, so keep parallelism modest.
    maxWorkers: 2,
    globalSetup: ['test/global-temp.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

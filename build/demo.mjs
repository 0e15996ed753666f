// `npm run demo`: bundles the demo driver (TypeScript, shares the tests' Dovecot helper) and runs it.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';

await build({
  entryPoints: ['test/helpers/demo.ts'],
  outfile: '.tmp/demo.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, ['.tmp/demo.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);

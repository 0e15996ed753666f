// Bundles the TypeScript bench (it shares the tests' Dovecot helper) and runs it with the given flags.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';

await build({ entryPoints: ['bench/bench.ts'], outfile: '.tmp/bench.mjs', bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' });
const r = spawnSync(process.execPath, ['.tmp/bench.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);

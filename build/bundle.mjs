// Bundles the CLI into one CommonJS file: what `npx imap-backup-tool` runs and what goes into the
// single-file executables (Node's SEA loader runs CommonJS only).
import { build } from 'esbuild';
import { chmod, readFile } from 'node:fs/promises';
import { lazyGbk } from './lazy-gbk.mjs';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/cli.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: process.env.IBT_NO_MINIFY !== "1",
  sourcemap: false,
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  define: { __IBT_VERSION__: JSON.stringify(pkg.version) },
  // The dist-config samples, embedded for `init` (a single-file executable has no folder beside it).
  loader: { '.yml': 'text' },
  // Dependencies of imapflow the tool never uses (its default logger, SOCKS proxies): stubs that
  // fail plainly if ever called. 5-10 ms of every run's start-up (CPU profile of a run with 100
  // new messages).
  alias: { pino: './build/stubs/pino.cjs', socks: './build/stubs/socks.cjs' },
  plugins: [lazyGbk],
  logLevel: 'warning',
});
await chmod('dist/cli.cjs', 0o755);

// Bundles the CLI into one CommonJS file: what `npx imap-backup-tool` runs and what goes into the
// single-file executables (Node's SEA loader runs CommonJS only).
import { build } from 'esbuild';
import { chmod, readFile } from 'node:fs/promises';

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
  logLevel: 'warning',
});
await chmod('dist/cli.cjs', 0o755);

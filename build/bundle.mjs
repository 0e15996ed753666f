// Bundles the CLI into one CommonJS file, dist/main.cjs: what goes into the single-file executables
// (Node's SEA loader runs CommonJS only) and what `npx imap-backup-tool` (dist/cli.cjs, from
// build/launcher.cjs) runs with V8 code caches made here for this Node and for the executables'.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleId } from './bundle-id.cjs';
import { lazyGbk } from './lazy-gbk.mjs';
import { PINS } from './node-runtime.mjs';

// The caches of the bundle before go first: a build stopped between the new main.cjs and its
// launcher would leave the old launcher, which would take them for a new bundle of the same length.
if (fs.existsSync('dist')) for (const f of fs.readdirSync('dist')) if (/^main\..*\.cache$/.test(f)) fs.rmSync(path.join('dist', f));

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/main.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: process.env.IBT_NO_MINIFY !== "1",
  sourcemap: false,
  legalComments: 'none',
  define: { __IBT_VERSION__: JSON.stringify(pkg.version) },
  // The dist-config samples, embedded for `init` (a single-file executable has no folder beside it).
  loader: { '.yml': 'text' },
  // Dependencies of imapflow the tool never uses (its default logger, SOCKS proxies): stubs that
  // fail plainly if ever called. 5-10 ms of every run's start-up (CPU profile of a run with 100
  // new messages).
  // libmime, libqp and libbase64 ship an ESM and a CommonJS build. imapflow imports the first,
  // mailsplit (inside imapflow) requires the second, so the bundle carried and loaded both: libmime's
  // tables built twice, ~5 ms of every run's start and 100 KB. The CommonJS build serves both.
  alias: {
    pino: './build/stubs/pino.cjs',
    socks: './build/stubs/socks.cjs',
    libmime: './node_modules/libmime/dist/cjs/libmime.js',
    libqp: './node_modules/libqp/dist/cjs/libqp.js',
    libbase64: './node_modules/libbase64/dist/cjs/libbase64.js',
  },
  plugins: [lazyGbk],
  logLevel: 'warning',
});
// The launcher reads only caches named for this bundle (build/bundle-id.cjs).
const launcher = fs.readFileSync('build/launcher.cjs', 'utf8');
const unbuilt = "const BUNDLE = 'unbuilt';";
if (launcher.split(unbuilt).length !== 2) throw new Error(`build/launcher.cjs: no single line ${unbuilt} to write the bundle's id into`);
fs.writeFileSync('dist/cli.cjs', launcher.replace(unbuilt, `const BUNDLE = '${bundleId(fs.readFileSync('dist/main.cjs'))}';`));
await chmod('dist/cli.cjs', 0o755);

// Code caches: for the Node running this build, and for the pinned Node of the executables when it
// has been fetched (npm run build:bin, the tests), which the bench runs `node dist/cli.cjs` on.
const pin = process.platform === 'linux' && process.arch === 'x64' ? PINS.targets['linux-x64'] : undefined;
const pinned = pin && path.join('.cache', 'node-bin', `${pin.package}-${PINS.version}`, path.basename(pin.binary));
for (const node of new Set([process.execPath, ...(pinned && fs.existsSync(pinned) ? [path.resolve(pinned)] : [])])) {
  execFileSync(node, ['build/code-cache.cjs', 'dist/main.cjs'], { stdio: 'inherit' });
}

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

// `node dist/cli.cjs` (build/launcher.cjs) runs the bundle with the V8 code cache the build made for
// this Node (build/code-cache.cjs). The cache must be one V8 takes; one it refuses, or none, must
// only cost the compile.
const DIST = path.resolve(__dirname, '../../dist');
const VERSION = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
/** The bundle's id, which the build wrote into the launcher and into its caches' names (build/bundle-id.cjs). */
const BUNDLE = /const BUNDLE = '([0-9a-f]{16})';/.exec(fs.readFileSync(path.join(DIST, 'cli.cjs'), 'utf8'))?.[1];
const cacheName = `main.${BUNDLE}.${process.version}-${process.platform}-${process.arch}.cache`;
const compile = (file: string, cachedData?: Buffer) => vm.compileFunction(fs.readFileSync(file, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], {
  filename: file, ...(cachedData ? { cachedData } : {}),
});

/** dist/cli.cjs and dist/main.cjs in a folder of their own, with this cache file (or none). */
function launcherWith(cache: Buffer | undefined): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-launcher-'));
  for (const f of ['cli.cjs', 'main.cjs']) fs.copyFileSync(path.join(DIST, f), path.join(dir, f));
  if (cache) fs.writeFileSync(path.join(dir, cacheName), cache);
  return path.join(dir, 'cli.cjs');
}

describe('the launcher and its code cache', () => {
  it('the build made a code cache for this Node that V8 takes for the bundle', () => {
    const cache = fs.readFileSync(path.join(DIST, cacheName));
    const main = compile(path.join(DIST, 'main.cjs'), cache) as { cachedDataRejected?: boolean };
    expect(main.cachedDataRejected).toBe(false);
  });

  it('the bundle calls no import(): the launcher compiles it as a function, which has no loader for one', () => {
    // esbuild turns import() of the bundle's own modules into require(); one of a Node module stays.
    expect(fs.readFileSync(path.join(DIST, 'main.cjs'), 'utf8').match(/(?<![\w$.])import\s*\(/g)).toBeNull();
  });

  it.each([
    ['no cache', undefined],
    ['a cache of other bytes', Buffer.alloc(140_000, 7)],
    ['a cache of another bundle', (() => {
      const other = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-other-')), 'main.cjs');
      fs.writeFileSync(other, `${fs.readFileSync(path.join(DIST, 'main.cjs'), 'utf8')}\n;void 0;`);
      const made = vm.compileFunction(fs.readFileSync(other, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: path.join(DIST, 'main.cjs'), produceCachedData: true }) as { cachedData?: Buffer };
      return made.cachedData;
    })()],
  ])('with %s, the program runs as it does with one', (_, cache) => {
    const out = execFileSync(process.execPath, [launcherWith(cache), '--version'], { encoding: 'utf8' });
    expect(out.trim()).toBe(VERSION);
  });

  it('takes no cache left beside it by another bundle of the same length (an older install copied over)', () => {
    // V8 checks a cache against the length of the source only, not its text, and then runs what
    // the cache holds: the top-level code and whatever else was compiled when the cache was made.
    const bundle = fs.readFileSync(path.join(DIST, 'main.cjs'), 'utf8');
    const start = /\(process\.argv\.slice\(2\)\)\.then\(/g;
    expect(bundle.match(start)).toHaveLength(1);
    const older = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-older-')), 'main.cjs');
    fs.writeFileSync(older, bundle.replace(start, '(process.argv.slice(3)).then('));
    execFileSync(process.execPath, [path.resolve(__dirname, '../../build/code-cache.cjs'), older]);
    const cli = launcherWith(undefined);
    for (const f of fs.readdirSync(path.dirname(older))) if (f.endsWith('.cache')) fs.copyFileSync(path.join(path.dirname(older), f), path.join(path.dirname(cli), f));
    const out = execFileSync(process.execPath, [cli, '--version'], { encoding: 'utf8', stdio: 'pipe' });
    expect(out.trim()).toBe(VERSION);
  });

  it('gives the bundle its own path, arguments and exit code', () => {
    const cli = launcherWith(fs.readFileSync(path.join(DIST, cacheName)));
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [cli, 'run', '--config', path.join(path.dirname(cli), 'missing.yml')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      ({ status, stderr } = err as { status: number; stderr: string });
    }
    expect(status).toBe(2);
    expect(stderr).toContain('missing.yml');
  });
});

describe('a build stopped half way', () => {
  it('leaves no code cache of the bundle before beside the new one: the launcher left from before would run it', () => {
    // A copy of the project whose build stops just after esbuild wrote dist/main.cjs and before it
    // wrote dist/cli.cjs: the launcher cannot take the bundle's id.
    const root = path.resolve(__dirname, '../..');
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-halfbuild-'));
    try {
      for (const f of fs.readdirSync(root)) if (!['build', 'dist', '.git'].includes(f)) fs.symlinkSync(path.join(root, f), path.join(project, f));
      fs.cpSync(path.join(root, 'build'), path.join(project, 'build'), { recursive: true });
      fs.writeFileSync(path.join(project, 'build', 'launcher.cjs'), "'use strict';\n");
      fs.mkdirSync(path.join(project, 'dist'));
      const before = `main.0123456789abcdef.${process.version}-${process.platform}-${process.arch}.cache`;
      fs.writeFileSync(path.join(project, 'dist', before), 'cache');
      let status = 0;
      try {
        execFileSync(process.execPath, ['build/bundle.mjs'], { cwd: project, stdio: 'pipe' });
      } catch (err) {
        ({ status } = err as { status: number });
      }
      expect(status).not.toBe(0);
      expect(fs.existsSync(path.join(project, 'dist', 'main.cjs'))).toBe(true);
      expect(fs.readdirSync(path.join(project, 'dist')).filter((f) => f.endsWith('.cache'))).toEqual([]);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  }, 60_000);
});

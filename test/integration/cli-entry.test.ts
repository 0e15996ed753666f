import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBinary } from '../../build/node-runtime.mjs';
import { CLI } from '../helpers/cli.js';

// dist/cli.cjs (build/cli-entry.cjs) loads the bundle with V8's compiled code cached in the
// user's own cache folder, on a Node that can (22.1 and later: the pinned Node of the executables).
// Whoever can write that cache chooses the code that runs, so it must be this user's alone.
let node: string;
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-entry-'));
  dirs.push(d);
  return d;
};
const isRoot = process.getuid?.() === 0;
beforeAll(async () => {
  node = await nodeBinary('linux-x64', path.resolve(__dirname, '../../.cache/node-bin'));
}, 120_000);
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Every file under dir, relative. */
const filesUnder = (dir: string): string[] => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.lstatSync(path.join(dir, f)).isFile()) : []);
const modeOf = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

/** `--version` with the test's environment changed as given (undefined: removed), its compile cache's debug lines on stderr. */
function version(changes: Record<string, string | undefined>, umask?: string): { code: number | null; out: string; err: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
  delete env['NODE_COMPILE_CACHE'];
  delete env['NODE_DISABLE_COMPILE_CACHE'];
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const r = umask === undefined
    ? spawnSync(node, [CLI, '--version'], { env, encoding: 'utf8' })
    : spawnSync('sh', ['-c', `umask ${umask} && exec "$0" "$1" --version`, node, CLI], { env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr };
}
const VERSION = /^\d+\.\d+\.\d+$/;

describe('dist/cli.cjs', () => {
  it("caches the bundle's compiled code in the user's cache folder (0700), and the next run takes it", () => {
    const cache = tmp();
    const temp = tmp();
    expect(version({ XDG_CACHE_HOME: cache, TMPDIR: temp })).toMatchObject({ code: 0, out: expect.stringMatching(VERSION) });
    const folder = path.join(cache, 'imap-backup-tool', 'node-compile-cache');
    expect(filesUnder(folder).length).toBeGreaterThan(0);
    expect(modeOf(folder)).toBe('700');
    const again = version({ XDG_CACHE_HOME: cache, TMPDIR: temp });
    expect(again).toMatchObject({ code: 0, out: expect.stringMatching(VERSION) });
    expect(again.err).toMatch(/cache for .*main\.cjs was accepted/);
    // Nothing in the shared temp folder, which other accounts can write to.
    expect(filesUnder(temp)).toEqual([]);
  });

  it('caches nothing when told not to, or without a home folder, and runs all the same', () => {
    const cache = tmp();
    const temp = tmp();
    expect(version({ XDG_CACHE_HOME: cache, TMPDIR: temp, NODE_DISABLE_COMPILE_CACHE: '1' }).code).toBe(0);
    expect(version({ XDG_CACHE_HOME: undefined, HOME: '/', TMPDIR: temp }).code).toBe(0);
    expect([...filesUnder(cache), ...filesUnder(temp)]).toEqual([]);
  });

  it('caches nothing where others can write: the folder itself or one above it', () => {
    const temp = tmp();
    const open = tmp();
    fs.chmodSync(open, 0o777);
    const below = tmp();
    fs.chmodSync(below, 0o777);
    fs.mkdirSync(path.join(below, 'mine'), { mode: 0o700 });
    for (const cache of [open, path.join(below, 'mine'), path.join(below, 'not-yet')]) {
      expect(version({ XDG_CACHE_HOME: cache, TMPDIR: temp })).toMatchObject({ code: 0, out: expect.stringMatching(VERSION) });
    }
    expect([...filesUnder(open), ...filesUnder(below), ...filesUnder(temp)]).toEqual([]);
    expect(fs.existsSync(path.join(below, 'not-yet'))).toBe(false);
  });

  it('keeps the cache 0700 under umask 000, and empties one that was open to others', () => {
    const cache = tmp();
    expect(version({ XDG_CACHE_HOME: cache }, '000').code).toBe(0);
    const folder = path.join(cache, 'imap-backup-tool', 'node-compile-cache');
    expect(modeOf(folder)).toBe('700');
    // An entry planted while the folder was open: gone, whatever it was.
    fs.chmodSync(folder, 0o777);
    const planted = path.join(folder, 'v0-planted', 'entry');
    fs.mkdirSync(path.dirname(planted));
    fs.writeFileSync(planted, 'not V8 code');
    expect(version({ XDG_CACHE_HOME: cache }).code).toBe(0);
    expect(modeOf(folder)).toBe('700');
    expect(fs.existsSync(planted)).toBe(false);
  });

  it('removes nothing through a link put where the cache folder goes, nor under a folder others can write to', () => {
    const cache = tmp();
    const own = path.join(cache, 'imap-backup-tool');
    fs.mkdirSync(own, { mode: 0o700 });
    const precious = tmp();
    fs.chmodSync(precious, 0o755);
    fs.writeFileSync(path.join(precious, 'keep'), 'precious');
    fs.symlinkSync(precious, path.join(own, 'node-compile-cache'));
    expect(version({ XDG_CACHE_HOME: cache }).code).toBe(0);
    fs.chmodSync(own, 0o777);
    expect(version({ XDG_CACHE_HOME: cache }).code).toBe(0);
    expect(fs.readFileSync(path.join(precious, 'keep'), 'utf8')).toBe('precious');
    expect(filesUnder(precious)).toEqual(['keep']);
  });

  it.skipIf(!isRoot)('as root, caches nothing in another account\'s home or folder, also through a link', () => {
    const temp = tmp();
    const home = tmp();
    fs.chownSync(home, 65534, 65534);
    const theirs = tmp();
    fs.chownSync(theirs, 65534, 65534);
    const linkDir = tmp();
    const link = path.join(linkDir, 'cache');
    fs.symlinkSync(theirs, link);
    expect(version({ XDG_CACHE_HOME: undefined, HOME: home, TMPDIR: temp }).code).toBe(0);
    expect(version({ XDG_CACHE_HOME: theirs, TMPDIR: temp }).code).toBe(0);
    expect(version({ XDG_CACHE_HOME: link, TMPDIR: temp }).code).toBe(0);
    expect([...filesUnder(home), ...filesUnder(theirs), ...filesUnder(temp)]).toEqual([]);
  });
});

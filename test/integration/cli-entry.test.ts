import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBinary } from '../../build/node-runtime.mjs';
import { CLI } from '../helpers/cli.js';

// dist/cli.cjs (build/cli-entry.cjs) loads the bundle with V8's compiled code cached in the
// user's own cache folder, on a Node that can (22.1 and later: the pinned Node of the executables).
let node: string;
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-entry-'));
  dirs.push(d);
  return d;
};
beforeAll(async () => {
  node = await nodeBinary('linux-x64', path.resolve(__dirname, '../../.cache/node-bin'));
}, 120_000);
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Every file under dir, relative. */
const filesUnder = (dir: string): string[] => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()) : []);

/** `--version` with the test's environment changed as given (undefined: removed). */
function version(changes: Record<string, string | undefined>): { code: number | null; out: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_COMPILE_CACHE'];
  delete env['NODE_DISABLE_COMPILE_CACHE'];
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const r = spawnSync(node, [CLI, '--version'], { env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout.trim() + r.stderr.trim() };
}

describe('dist/cli.cjs', () => {
  it("caches the bundle's compiled code in the user's cache folder, and runs from it", () => {
    const cache = tmp();
    const temp = tmp();
    expect(version({ XDG_CACHE_HOME: cache, TMPDIR: temp })).toEqual({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    const written = filesUnder(path.join(cache, 'imap-backup-tool', 'node-compile-cache'));
    expect(written.length).toBeGreaterThan(0);
    expect(version({ XDG_CACHE_HOME: cache, TMPDIR: temp })).toEqual({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
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

  // Whoever can write the cache chooses the code that runs.
  it('caches nothing in a folder others can write to, or that belongs to someone else', () => {
    const temp = tmp();
    const shared = tmp();
    fs.chmodSync(shared, 0o777);
    expect(version({ XDG_CACHE_HOME: shared, TMPDIR: temp }).code).toBe(0);
    const opened = tmp();
    fs.mkdirSync(path.join(opened, 'imap-backup-tool'), { mode: 0o777 });
    fs.chmodSync(path.join(opened, 'imap-backup-tool'), 0o777);
    expect(version({ XDG_CACHE_HOME: opened, TMPDIR: temp }).code).toBe(0);
    expect([...filesUnder(shared), ...filesUnder(opened), ...filesUnder(temp)]).toEqual([]);
    if (process.getuid?.() !== 0) return;
    // Run as root with another account's home, as `sudo` may keep it.
    const home = tmp();
    fs.chownSync(home, 65534, 65534);
    const theirs = tmp();
    fs.chownSync(theirs, 65534, 65534);
    expect(version({ XDG_CACHE_HOME: undefined, HOME: home, TMPDIR: temp }).code).toBe(0);
    expect(version({ XDG_CACHE_HOME: theirs, TMPDIR: temp }).code).toBe(0);
    expect([...filesUnder(home), ...filesUnder(theirs), ...filesUnder(temp)]).toEqual([]);
  });
});

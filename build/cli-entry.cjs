#!/usr/bin/env node
'use strict';
// What `npx imap-backup-tool` and `node dist/cli.cjs` run: the bundle (main.cjs), with V8's
// compiled code for it cached on disk where Node can (22.1 and later): half of the start-up, ~25 ms
// of every run (no-op run at 10,000 messages: 0.13 against 0.15-0.16 s). Whoever can write a cache
// entry chooses the code that runs (Node and V8 check only a header and the source's length and
// CRC), and backups often run as root: so the cache is a folder of this user's, 0700, on a real
// path whose every folder from / down only root or this user can change (a sticky /tmp above is
// fine). Never the shared temp folder, nor a home or cache folder another account can write to or
// swap (sudo may keep that account's HOME). NODE_COMPILE_CACHE chooses another folder and
// NODE_DISABLE_COMPILE_CACHE=1 turns it off, as for any Node program. The executables carry their
// code cache in themselves.
const fs = require('node:fs');
const path = require('node:path');

/** dir (a real path) and every folder above it: root's or ours, and no one else can rename in it. */
function safeChain(dir) {
  const uid = process.geteuid();
  for (let d = dir; ; d = path.dirname(d)) {
    const st = fs.lstatSync(d);
    if (!st.isDirectory() || (st.uid !== uid && st.uid !== 0)) return false;
    if ((st.mode & 0o022) !== 0 && (d === dir || (st.mode & 0o1000) === 0)) return false;
    if (d === path.dirname(d)) return true;
  }
}

/** The cache folder, made if missing; undefined where it would not be this user's alone. */
function cacheDir() {
  const env = process.env;
  // LOCALAPPDATA is the account's own (its ACL), as the executables' users run it.
  if (process.platform === 'win32') return env.LOCALAPPDATA ? path.join(env.LOCALAPPDATA, 'imap-backup-tool', 'Cache', 'node-compile-cache') : undefined;
  let base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  if (!base) {
    const home = require('node:os').homedir();
    if (!home || home === '/') return undefined;
    base = path.join(home, process.platform === 'darwin' ? path.join('Library', 'Caches') : '.cache');
  }
  // Nothing is made until the part of the path that exists is safe.
  let existing = base;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  if (!safeChain(fs.realpathSync(existing))) return undefined;
  const want = path.join(base, 'imap-backup-tool', 'node-compile-cache');
  fs.mkdirSync(want, { recursive: true, mode: 0o700 });
  // Where no one else can add, rename or replace entries, what is at `want` is what this user put
  // there: checked before anything in it is removed, and a link there is not followed.
  const parent = fs.realpathSync(path.dirname(want));
  if (!safeChain(parent)) return undefined;
  const real = path.join(parent, path.basename(want));
  const st = fs.lstatSync(real);
  if (!st.isDirectory() || st.uid !== process.geteuid()) return undefined;
  if ((st.mode & 0o077) !== 0) {
    // Open to others until now: whatever is in it may have been planted. Node makes its version
    // folders and entries with 0777 / 0666 less the umask; inside a 0700 folder that is moot.
    fs.rmSync(real, { recursive: true, force: true });
    fs.mkdirSync(real, { mode: 0o700 });
    fs.chmodSync(real, 0o700);
  }
  return safeChain(real) ? real : undefined;
}

const mod = require('node:module');
if (typeof mod.enableCompileCache === 'function' && !process.env.NODE_COMPILE_CACHE) {
  try {
    const dir = cacheDir();
    // Only a speed-up: any failure (no home folder, read-only disk) leaves the run as it was.
    if (dir) mod.enableCompileCache(dir);
  } catch {
    // As above.
  }
}
require('./main.cjs');

import { createHash } from 'node:crypto';
import { spelledOut } from './local-path.js';

/** What keepApart needs to keep the local names earlier runs used. */
export interface LocalHistory {
  /** Local paths ('/'-joined) an earlier run kept state for: they keep their names. */
  known?: ReadonlySet<string>;
  /** The process folder's disk takes `Foo` and `foo` for one folder (Windows, macOS). */
  foldsCase?: boolean;
}

export interface Placed {
  /** The server's folder path: the old form's hash is of it. */
  path: string;
  /** Escaped local segments (local-path.ts); replaced where the folder must be kept apart. */
  local: string[];
}

/**
 * As Windows and macOS compare names (letter case, Unicode form): one folder on their disks. One
 * character at a time, as NTFS folds: `Straße` and `Strasse` stay two folders there.
 */
const onDisk = (local: string[]) => [...local.join('/').normalize('NFC')].map((c) => {
  const upper = c.toUpperCase();
  return [...upper].length === 1 ? upper : c;
}).join('');

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Server folders whose local paths differ only in letter case (`Foo` and `foo`, which Dovecot and
 * Cyrus allow) would share one folder on Windows and macOS, where one's message can replace or
 * pass for the other's. Level by level (`Foo/Bar` and `foo/Bar` differ in their parent), one of
 * each such group keeps its name: one an earlier run kept state for (on a disk that folds case,
 * only the first of those), else the first. Each other has its differing segment spelled out
 * (`foo` → `%66%6F%6F`): apart on every disk, and restored to the server under its exact name.
 * A name too long to spell out gets `%~` and a hash instead, the form sessions before this one
 * gave every such folder, which a folder that has it keeps.
 */
export function keepApart(folders: Placed[], history: LocalHistory = {}): void {
  const known = history.known ?? new Set<string>();
  const hasHistory = (local: string[]) => {
    const joined = local.join('/');
    for (const k of known) if (k === joined || k.startsWith(`${joined}/`)) return true;
    return false;
  };
  // Segments are escaped ('/' included), so a '/'-joined path names one prefix.
  const placed = new Map<string, string[]>();
  const depth = Math.max(0, ...folders.map((f) => f.local.length));
  for (let d = 1; d <= depth; d++) {
    const groups = new Map<string, { key: string; local: string[] }[]>();
    const seen = new Set<string>();
    for (const f of folders) {
      if (f.local.length < d) continue;
      const key = f.local.slice(0, d).join('/');
      if (seen.has(key)) continue;
      seen.add(key);
      const parent = d === 1 ? [] : (placed.get(f.local.slice(0, d - 1).join('/')) ?? f.local.slice(0, d - 1));
      const local = [...parent, f.local[d - 1] ?? ''];
      const group = onDisk(local);
      groups.set(group, [...(groups.get(group) ?? []), { key, local }]);
    }
    for (const group of groups.values()) {
      const sorted = group.sort((a, b) => byCodeUnit(a.key, b.key));
      const apartOf = (m: { key: string; local: string[] }) => {
        const last = m.local[m.local.length - 1] ?? '';
        return [...m.local.slice(0, -1), spelledOut(last) ?? `${last}%~${hash(m.key)}`];
      };
      // Kept apart by an earlier run: keeps that name, also once its variant is gone or not selected.
      const wasApart = new Set(sorted.filter((m) => !hasHistory(m.local) && hasHistory(apartOf(m))));
      const plain = sorted.filter((m) => !wasApart.has(m) && hasHistory(m.local));
      // Where the disk folds case, a name another folder's files or subfolders still hold is not free.
      const taken = (m: { local: string[] }) => history.foldsCase === true && [...known].some((k) => {
        const prefix = k.split('/').slice(0, m.local.length);
        return prefix.length === m.local.length && prefix.join('/') !== m.local.join('/') && onDisk(prefix) === onDisk(m.local);
      });
      const free = sorted.filter((m) => !wasApart.has(m) && !taken(m));
      const keep = new Set(plain.length === 0 || history.foldsCase ? [plain[0] ?? free[0]] : plain);
      for (const m of sorted) placed.set(m.key, keep.has(m) ? m.local : apartOf(m));
    }
  }
  const twins = new Map<string, Placed[]>();
  for (const f of folders) {
    const old = withHash(f.local, f.path);
    f.local = known.has(old.join('/')) ? old : (placed.get(f.local.join('/')) ?? f.local);
    const same = f.local.join('/');
    twins.set(same, [...(twins.get(same) ?? []), f]);
  }
  // Names one local path stands for twice (`Grüße` composed and decomposed: one NFC name) cannot
  // be spelled apart: all but the first by server path get the hash of their path.
  for (const group of twins.values()) {
    // The composed (NFC) spelling first: it is the one the local name reads back as.
    const nfcFirst = (f: Placed) => (f.path === f.path.normalize('NFC') ? 0 : 1);
    for (const f of group.sort((a, b) => nfcFirst(a) - nfcFirst(b) || byCodeUnit(a.path, b.path)).slice(1)) f.local = withHash(f.local, f.path);
  }
}

const withHash = (local: string[], path: string) => [...local.slice(0, -1), `${local[local.length - 1] ?? ''}%~${hash(path)}`];

const hash = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex').slice(0, 8);

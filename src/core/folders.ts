import { createHash } from 'node:crypto';
import type { FolderSelection } from './config-types.js';
import { localFolderPath } from './local-path.js';

export interface ServerFolder {
  path: string;
  delimiter: string | null;
  specialUse?: string | undefined;
  flags: ReadonlySet<string>;
}

export interface ResolvedFolder {
  /** The name as the configuration wrote it, or the server path for '*'. */
  spec: string;
  path: string;
  local: string[];
  folder: ServerFolder;
}

export interface FolderProblem {
  spec: string;
  message: string;
}

// The original's users wrote folder names such as SENT or DRAFT; servers name them anything.
const SPECIAL_USE: Record<string, string> = {
  SENT: '\\Sent', 'SENT ITEMS': '\\Sent', 'SENT MAIL': '\\Sent',
  DRAFT: '\\Drafts', DRAFTS: '\\Drafts',
  TRASH: '\\Trash', DELETED: '\\Trash', 'DELETED ITEMS': '\\Trash', BIN: '\\Trash',
  JUNK: '\\Junk', SPAM: '\\Junk',
  ARCHIVE: '\\Archive', ARCHIVES: '\\Archive',
  ALL: '\\All', 'ALL MAIL': '\\All',
  FLAGGED: '\\Flagged', STARRED: '\\Flagged',
};

const selectable = (f: ServerFolder) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent');
const fold = (s: string) => s.normalize('NFC').toUpperCase();

export function findFolder(spec: string, folders: ServerFolder[]): ServerFolder | undefined {
  // The folder of exactly that name first: a server may hold `Foo` and `foo` both.
  const nfc = spec.normalize('NFC');
  const key = fold(spec);
  const exact = folders.find((f) => f.path.normalize('NFC') === nfc) ?? folders.find((f) => fold(f.path) === key);
  if (exact) return exact;
  const use = SPECIAL_USE[key];
  return use ? folders.find((f) => f.specialUse === use) : undefined;
}

function excluded(folder: ServerFolder, patterns: string[], folders: ServerFolder[]): boolean {
  return patterns.some((pattern) => {
    if (pattern.endsWith('/*') || pattern.endsWith('.*')) {
      const base = fold(pattern.slice(0, -2));
      const path = fold(folder.path);
      return path === base || (folder.delimiter !== null && path.startsWith(base + fold(folder.delimiter)));
    }
    return findFolder(pattern, folders) === folder;
  });
}

/** Which server folders to back up, and under which local path, for one mailbox. */
export interface LocalHistory {
  /** Local paths ('/'-joined) an earlier run kept state for: they keep their names. */
  known?: ReadonlySet<string>;
  /** The process folder's disk takes `Foo` and `foo` for one folder (Windows, macOS). */
  foldsCase?: boolean;
}

export function resolveFolders(selection: FolderSelection, exclude: string[], all: ServerFolder[], history: LocalHistory = {}): { folders: ResolvedFolder[]; problems: FolderProblem[] } {
  const usable = all.filter(selectable);
  const problems: FolderProblem[] = [];
  const folders: ResolvedFolder[] = [];
  const seen = new Set<string>();
  const add = (spec: string, folder: ServerFolder) => {
    if (seen.has(folder.path) || excluded(folder, exclude, usable)) return;
    seen.add(folder.path);
    folders.push({ spec, path: folder.path, local: localFolderPath(spec, folder.delimiter), folder });
  };
  if (selection.kind === 'all') {
    for (const folder of usable) add(folder.path, folder);
  } else {
    for (const spec of selection.names) {
      const folder = findFolder(spec, usable);
      if (folder) add(spec, folder);
      else {
        const names = usable.map((f) => f.path).join(', ');
        problems.push({ spec, message: `folder "${spec}" does not exist on the server; folders there: ${names || '(none)'}. Fix imapFolder in the mailbox list` });
      }
    }
  }
  keepApartOnDisk(folders, history);
  return { folders, problems };
}

/**
 * As Windows and macOS compare names (letter case, Unicode form): one folder on their disks. One
 * character at a time, as NTFS folds: `Straße` and `Strasse` stay two folders there.
 */
const onDisk = (local: string[]) => [...local.join('/').normalize('NFC')].map((c) => {
  const upper = c.toUpperCase();
  return [...upper].length === 1 ? upper : c;
}).join('');

/**
 * Server folders whose local paths differ only in letter case (`Foo` and `foo`, which Dovecot
 * and Cyrus allow) would share one folder on Windows and macOS, where one's message can replace
 * or pass for the other's. A folder an earlier run kept state for keeps its name (on a disk that
 * folds case, only the first of them by server path); with no history, the first by server path.
 * Each other gets its own: `%~` and a hash of its server path, a form no escaped server name
 * takes (every `%` the escaping writes is followed by two hex digits).
 */
function keepApartOnDisk(folders: ResolvedFolder[], history: LocalHistory): void {
  const groups = new Map<string, ResolvedFolder[]>();
  for (const f of folders) {
    const key = onDisk(f.local);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const sorted = [...group].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const known = sorted.filter((f) => history.known?.has(f.local.join('/')));
    const keep = new Set(known.length === 0 || history.foldsCase ? [known[0] ?? sorted[0]] : known);
    for (const f of sorted) {
      if (keep.has(f)) continue;
      const last = f.local[f.local.length - 1] ?? '';
      f.local = [...f.local.slice(0, -1), `${last}%~${createHash('sha1').update(f.path, 'utf8').digest('hex').slice(0, 8)}`];
    }
  }
}

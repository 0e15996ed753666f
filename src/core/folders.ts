import type { FolderSelection } from './config-types.js';
import { keepApart, type LocalHistory } from './case-apart.js';
import { localFolderPath } from './local-path.js';

export type { LocalHistory };

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
/** A name as the server's folder lookups compare it here: Unicode form and letter case ignored. */
export const fold = (s: string) => s.normalize('NFC').toUpperCase();

export function findFolder(spec: string, folders: ServerFolder[]): ServerFolder | undefined {
  // The folder of exactly that name first: a server may hold `Foo` and `foo` both.
  const nfc = spec.normalize('NFC');
  const key = fold(spec);
  const exact = folders.find((f) => f.path.normalize('NFC') === nfc) ?? folders.find((f) => fold(f.path) === key);
  if (exact) return exact;
  const use = SPECIAL_USE[key];
  return use ? folders.find((f) => f.specialUse === use) : undefined;
}

/** Folders that `spec` names only when letter case is ignored: more than one is ambiguous. */
function caseTwins(spec: string, folders: ServerFolder[]): ServerFolder[] {
  const nfc = spec.normalize('NFC');
  if (folders.some((f) => f.path.normalize('NFC') === nfc)) return [];
  const key = fold(spec);
  return folders.filter((f) => fold(f.path) === key);
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
      const twins = caseTwins(spec, usable);
      if (twins.length > 1) {
        // Which of them LIST gives first would decide, and could change from run to run.
        problems.push({ spec, message: `folder "${spec}" matches ${twins.map((t) => `"${t.path}"`).join(' and ')} on the server, which differ only in letter case: write the exact name of each one wanted in imapFolder` });
        continue;
      }
      const folder = findFolder(spec, usable);
      if (folder) add(spec, folder);
      else {
        const names = usable.map((f) => f.path).join(', ');
        problems.push({ spec, message: `folder "${spec}" does not exist on the server; folders there: ${names || '(none)'}. Fix imapFolder in the mailbox list` });
      }
    }
  }
  keepApart(folders, history);
  return { folders, problems };
}

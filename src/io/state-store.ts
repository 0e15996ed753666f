import fs from 'node:fs';
import path from 'node:path';
import type { LocalHistory } from '../core/folders.js';
import { safeSegment } from '../core/local-path.js';
import { removeTempFiles } from './atomic.js';
import { LatestJsonFile } from './latest-json.js';
import { FolderNames } from './folder-names.js';

/**
 * Per-folder marks (UIDVALIDITY, highest UID handled) that let a run skip folders with nothing new.
 * Only a cache: when it is missing, corrupt or disagrees with the files, the folder is rescanned.
 */
export interface FolderMark {
  uidValidity: string;
  lastUid: number;
  /** .eml files in the folder when the mark was saved; fewer now means files were removed. */
  emlCount: number;
}

interface StateFile {
  version: 1;
  folders: Record<string, FolderMark>;
}

export const STATE_DIR = '.imap-backup-tool';

export class StateStore {
  // Without a prototype, a local folder named `__proto__` is a key like any other, not a setter.
  private state: StateFile = { version: 1, folders: Object.create(null) as Record<string, FolderMark> };
  private readonly out: LatestJsonFile;

  constructor(readonly file: string, private readonly names: FolderNames) {
    this.out = new LatestJsonFile(file, () => this.state);
  }

  /** The one place a mailbox's address becomes its state file's name (and its names file's). */
  static forMailbox(processFolder: string, address: string): StateStore {
    const root = path.join(processFolder, STATE_DIR);
    const name = `${safeSegment(address)}.json`;
    return new StateStore(path.join(root, 'state', name), new FolderNames(path.join(FolderNames.dir(root), name)));
  }

  /** Whether an earlier run left this mailbox's marks: without them every message is downloaded. */
  static existsFor(processFolder: string, address: string): boolean {
    return fs.existsSync(StateStore.forMailbox(processFolder, address).file);
  }

  /**
   * Temp files of state writes a killed run left. Once per run, under the lock and before any
   * mailbox starts: the mailboxes share this folder, so one must not remove another's write.
   */
  static async removeLeftovers(processFolder: string): Promise<void> {
    const root = path.join(processFolder, STATE_DIR);
    await Promise.all([removeTempFiles(path.join(root, 'state')), removeTempFiles(FolderNames.dir(root))]);
  }

  async load(): Promise<void> {
    await this.names.load();
    try {
      const parsed: unknown = JSON.parse(await fs.promises.readFile(this.file, 'utf8'));
      if (isState(parsed)) this.state = { version: 1, folders: Object.assign(Object.create(null) as Record<string, FolderMark>, parsed.folders) };
    } catch {
      // Missing or corrupt: start from nothing; the .eml files decide what is there.
    }
  }

  /** The folders an earlier run left marks for. */
  keys(): string[] {
    return Object.keys(this.state.folders);
  }

  /**
   * What resolveFolders needs to keep the local names earlier runs used (folders.ts): the folders
   * with marks, and those the names record keeps (also once cleaning has removed the marks).
   */
  folderHistory(): LocalHistory {
    return { known: new Set([...this.keys(), ...this.names.locals()]), foldsCase: process.platform !== 'linux' };
  }

  /**
   * Records the local names of folders that have marks: a process folder of a version before the
   * names record, and folders with nothing new (set is not called for them), get theirs too.
   */
  rememberMarked(folders: readonly { path: string; local: string[] }[]): Promise<void> {
    return this.names.remember(folders.map((f) => [f.path, f.local.join('/')] as const).filter(([, key]) => this.get(key) !== undefined));
  }

  get(key: string): FolderMark | undefined {
    return this.state.folders[key];
  }

  /** The mark of the local folder `key`, which the server folder `serverPath` is backed up in. */
  async set(key: string, mark: FolderMark, serverPath: string): Promise<void> {
    this.state.folders[key] = mark;
    // One write at a time, each of all marks set by then (LatestJsonFile).
    await this.out.save();
    // The mark is on disk, and the messages before it: a names write that fails must not fail the
    // folder (nor stop one planned in parts). The record is only names; the next write tries again.
    await this.names.remember([[serverPath, key]]).catch(() => undefined);
  }
}

function isState(value: unknown): value is StateFile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<StateFile>;
  if (v.version !== 1 || typeof v.folders !== 'object' || v.folders === null) return false;
  return Object.values(v.folders).every((m) =>
    typeof m === 'object' && m !== null && typeof m.uidValidity === 'string' && Number.isInteger(m.lastUid) && Number.isInteger(m.emlCount));
}

import fs from 'node:fs';
import path from 'node:path';
import { LatestJsonFile } from './latest-json.js';

interface NamesFile {
  version: 1;
  /** Server folder path → its local path ('/'-joined escaped segments). */
  folders: Record<string, string>;
}

/**
 * The local name each server folder was backed up under, kept beside the state but out of the
 * cleaner's reach: with cleanProcessFolder the marks go after every archive (the next archive
 * must be a whole snapshot), and without this record which case variant keeps the plain name
 * (case-apart.ts) would be decided afresh, so a folder could change its name from one archive to
 * the next. Only names: nothing here makes a run skip a message.
 */
export class FolderNames {
  // A Map, not the file's object: a server folder may be named `__proto__`.
  private names = new Map<string, string>();
  private readonly out: LatestJsonFile;

  constructor(readonly file: string) {
    this.out = new LatestJsonFile(file, (): NamesFile => ({ version: 1, folders: Object.fromEntries(this.names) }));
  }

  static dir(stateRoot: string): string {
    return path.join(stateRoot, 'names');
  }

  async load(): Promise<void> {
    try {
      const parsed: unknown = JSON.parse(await fs.promises.readFile(this.file, 'utf8'));
      if (isNames(parsed)) this.names = new Map(Object.entries(parsed.folders));
    } catch {
      // Missing (a process folder of an earlier version, or never backed up) or corrupt: the
      // marks, where there are any, are the history then.
    }
  }

  /** Local paths folders were backed up under. */
  locals(): string[] {
    return [...this.names.values()];
  }

  /**
   * Records where these folders are kept. Writes when something is not yet on disk, one write at
   * a time, each of everything recorded by then: folders finish in parallel, and a write that
   * started earlier must not replace a later one's names. A failed write is tried again by the next.
   */
  remember(folders: readonly (readonly [path: string, local: string])[]): Promise<void> {
    let changed = false;
    for (const [server, local] of folders) {
      if (this.names.get(server) === local) continue;
      this.names.set(server, local);
      changed = true;
    }
    return this.out.save(changed);
  }
}

function isNames(value: unknown): value is NamesFile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<NamesFile>;
  return v.version === 1 && typeof v.folders === 'object' && v.folders !== null && !Array.isArray(v.folders)
    && Object.values(v.folders).every((l) => typeof l === 'string');
}

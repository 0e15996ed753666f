import fs from 'node:fs';
import path from 'node:path';
import { parseArchiveName, type ArchiveFile } from '../core/retention.js';

/** Until verified, an archive carries this suffix: rolling and restoring never take it for a backup. */
export const PARTIAL_SUFFIX = '.partial';

export interface OutputListing {
  /** The tool's archives (ours and the original tool's names); nothing else in the folder. */
  archives: ArchiveFile[];
  /** `.partial` files: archives being written, or left by interrupted runs; never rolled. */
  partials: ArchiveFile[];
}

export async function listOutputFolder(outputFolder: string): Promise<OutputListing> {
  const listing: OutputListing = { archives: [], partials: [] };
  let names: string[];
  try {
    names = await fs.promises.readdir(outputFolder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return listing;
    throw err;
  }
  for (const name of names.sort()) {
    if (name.endsWith(PARTIAL_SUFFIX) && parseArchiveName(name.slice(0, -PARTIAL_SUFFIX.length))) {
      const st = await fs.promises.lstat(path.join(outputFolder, name)).catch(() => undefined);
      if (st?.isFile()) listing.partials.push({ name, mtime: st.mtime });
      continue;
    }
    if (!parseArchiveName(name)) continue;
    // A folder or a link that happens to carry an archive's name is not an archive.
    const st = await fs.promises.lstat(path.join(outputFolder, name)).catch(() => undefined);
    if (st?.isFile()) listing.archives.push({ name, mtime: st.mtime });
  }
  return listing;
}

/** Removes the named archives; returns a problem line for each that could not be removed. */
export async function removeArchives(outputFolder: string, names: string[]): Promise<{ removed: string[]; problems: string[] }> {
  const removed: string[] = [];
  const problems: string[] = [];
  for (const name of names) {
    try {
      await fs.promises.rm(path.join(outputFolder, name));
      removed.push(name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      problems.push(`could not delete the old archive ${name} (${code ?? String(err)}): delete it by hand, or check who holds it open`);
    }
  }
  return { removed, problems };
}

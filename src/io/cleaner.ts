import fs from 'node:fs';
import path from 'node:path';
import { isTempName } from './atomic.js';
import { ownFilePath, type OwnFile, type OwnFiles } from './process-tree.js';
import { STATE_DIR } from './state-store.js';

export interface CleanResult {
  removedFiles: number;
  removedFolders: number;
  /** Files that could not be removed; the archive is good, so these are warnings. */
  problems: string[];
}

/**
 * Empties the process folder after a verified archive, as the original's cleanProcessFolder did,
 * but removes only what the archive holds (the tool's own .eml files, unchanged since), then the
 * folders that leaves empty, then the per-mailbox state. Anything an admin put there stays, and
 * so do the folders holding it. Without state the next run downloads everything again. The record
 * of each folder's local name (folder-names.ts) stays too, so the next archive names them alike.
 */
export async function cleanProcessFolder(processFolder: string, archived: OwnFiles): Promise<CleanResult> {
  const result: CleanResult = { removedFiles: 0, removedFolders: 0, problems: [] };
  const folders = new Set<string>();
  for (let i = 0; i < archived.length; i++) {
    const f = archived.at(i) as OwnFile;
    const file = ownFilePath(processFolder, f.name);
    try {
      const st = await fs.promises.lstat(file);
      // Changed after it was archived (only possible if something else writes here): keep it.
      if (!st.isFile() || st.size !== f.size || st.mtimeMs !== f.mtimeMs) {
        result.problems.push(`${f.name}: changed since it was archived, kept`);
        continue;
      }
      await fs.promises.rm(file);
      result.removedFiles++;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') result.problems.push(`${f.name}: ${code ?? String(err)}`);
      continue;
    }
    const parts = f.name.split('/');
    for (let depth = parts.length - 1; depth >= 1; depth--) folders.add(parts.slice(0, depth).join('/'));
  }
  // Deepest first, so a mailbox folder goes once its folders have gone.
  const byDepth = [...folders].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
  for (const dir of byDepth) {
    if (await removeIfEmpty(ownFilePath(processFolder, dir))) result.removedFolders++;
  }
  await cleanState(path.join(processFolder, STATE_DIR, 'state'), result);
  return result;
}

async function removeIfEmpty(dir: string): Promise<boolean> {
  try {
    await fs.promises.rmdir(dir);
    return true;
  } catch {
    // Not empty (an admin's file, a folder with no messages): it stays.
    return false;
  }
}

/** The state files (and temp files of a state write) only; the lock belongs to the running run. */
async function cleanState(dir: string, result: CleanResult): Promise<void> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.endsWith('.json') && !isTempName(name)) continue;
    try {
      await fs.promises.rm(path.join(dir, name));
    } catch (err) {
      result.problems.push(`${STATE_DIR}/state/${name}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  await removeIfEmpty(dir);
}

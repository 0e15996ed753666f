import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { STATE_DIR } from './state-store.js';

/**
 * The `.partial` archives this process folder's runs are writing, by name, kept in its state
 * folder from just before each is created until it is committed or discarded. One still noted
 * when a run holds the lock again is a dead run's; any other may be another configuration's
 * archive being written into a shared output folder, and is only deleted once it is stale.
 */
const file = (processFolder: string) => path.join(processFolder, STATE_DIR, 'archiving');

/**
 * Before the `.partial` is created, so a run killed at any point has its leftover noted. False
 * when it already was: a dead run's of the same second, which stays noted when this run moves on.
 */
export async function noteArchiving(processFolder: string, partialName: string): Promise<boolean> {
  await fs.promises.mkdir(path.dirname(file(processFolder)), { recursive: true, mode: 0o700 });
  const noted = await readArchiving(processFolder);
  if (noted.has(partialName)) return false;
  await write(processFolder, [...noted, partialName]);
  return true;
}

export async function readArchiving(processFolder: string): Promise<Set<string>> {
  try {
    return new Set((await fs.promises.readFile(file(processFolder), 'utf8')).split('\n').filter((l) => l !== ''));
  } catch {
    return new Set();
  }
}

/** Committed, discarded, taken by another run, or deleted as a leftover: no longer this folder's. */
export async function forgetArchiving(processFolder: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const left = [...(await readArchiving(processFolder))].filter((n) => !names.includes(n));
  if (left.length === 0) await fs.promises.rm(file(processFolder), { force: true });
  else await write(processFolder, left);
}

/** Whole or not at all: a run killed while writing must not lose the names noted before. */
function write(processFolder: string, names: string[]): Promise<void> {
  return writeFileAtomic(file(processFolder), names.map((n) => `${n}\n`).join(''), { mode: 0o600 });
}

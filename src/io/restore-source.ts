import fs from 'node:fs';
import path from 'node:path';
import { safeSegment } from '../core/local-path.js';
import { segment1Of } from '../core/naming.js';
import { uploadOrder } from '../core/restore-plan.js';
import { STATE_DIR } from './state-store.js';
import { openZipSource } from './restore-zip.js';
import { compare, RestoreUsageError, type RestoreSource, type SourceFile, type SourceFolder } from './restore-types.js';

export { RestoreUsageError, type RestoreSource, type SourceFile, type SourceFolder } from './restore-types.js';

/**
 * `--from` is an archive (`backup-….zip`) or a process folder; in both, the mailbox's messages are
 * under `{mailbox}/{folder…}/`. A folder that is itself that mailbox's folder is taken too.
 * `program`: the tool as the admin types it (programName), for the commands its advice names.
 */
export async function openRestoreSource(from: string, mailbox: string, program: string): Promise<RestoreSource> {
  const stat = await fs.promises.stat(from).catch(() => undefined);
  if (!stat) throw new RestoreUsageError(`--from ${from} does not exist: give a backup-….zip archive or the process folder (storage.processFolderFullPath)`);
  const segment = safeSegment(mailbox);
  if (stat.isFile()) return openZipSource(from, segment, mailbox, program);
  if (!stat.isDirectory()) throw new RestoreUsageError(`--from ${from} is neither a file nor a folder: give a backup-….zip archive or the process folder`);
  const names = (await fs.promises.readdir(from, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && e.name !== STATE_DIR && !e.name.startsWith('.')).map((e) => e.name).sort();
  // Addresses are case-insensitive; the folder has the list's spelling, which may not be the one typed.
  const found = names.find((n) => n === segment) ?? names.find((n) => n.toLowerCase() === segment.toLowerCase());
  const root = found !== undefined ? path.join(from, found) : path.basename(path.resolve(from)).toLowerCase() === segment.toLowerCase() ? from : undefined;
  if (!root) {
    throw new RestoreUsageError(`${from} holds no backup of ${mailbox}${names.length ? `; it holds ${names.join(', ')}: choose one with --mailbox-from` : ': give the process folder (storage.processFolderFullPath) or an archive'}`);
  }
  const folders: SourceFolder[] = [];
  await walk(root, [], folders);
  if (folders.length === 0) throw new RestoreUsageError(`${root} holds no backed-up messages (no {folder}/{md5}__….eml files): give the process folder or an archive that has them`);
  return { where: root, folders: folders.sort((a, b) => compare(a.local.join('/'), b.local.join('/'))), close: async () => undefined };
}

async function walk(root: string, local: string[], out: SourceFolder[]): Promise<void> {
  const dir = path.join(root, ...local);
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  // Only the tool's own files, and only inside a folder: never the state folder or stray files.
  const names = local.length === 0 ? [] : entries.filter((e) => e.isFile() && segment1Of(e.name) !== undefined).map((e) => e.name);
  const files: SourceFile[] = [];
  for (const name of names.sort(uploadOrder)) {
    const full = path.join(dir, name);
    const st = await fs.promises.lstat(full).catch(() => undefined);
    if (st?.isFile()) files.push({ name, size: st.size, mtime: st.mtime, read: () => fs.promises.readFile(full) });
  }
  if (files.length > 0) out.push({ local, files });
  for (const e of entries) {
    if (e.isDirectory() && !(local.length === 0 && e.name === STATE_DIR)) await walk(root, [...local, e.name], out);
  }
}

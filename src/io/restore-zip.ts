import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { quoteArg, shownCommand } from '../core/init-command.js';
import { segment1Of } from '../core/naming.js';
import { uploadOrder } from '../core/restore-plan.js';
import { nextEntry, openZip } from './block-reader.js';
import { compare, RestoreUsageError, type RestoreSource, type SourceFile, type SourceFolder } from './restore-types.js';

/**
 * The mailbox's entries of a backup archive, `{mailbox}/{folder…}/{file}.eml` (the mailbox folder
 * may sit deeper, when someone zipped the folder above the process folder). Only the central
 * directory is read up front; each message is inflated, and its CRC checked, when it is uploaded.
 * `program`: the tool as the admin types it (programName), for the `verify` a damaged archive needs.
 */
export async function openZipSource(file: string, segment: string, mailbox: string, program: string): Promise<RestoreSource> {
  const zip = await openZip(file).catch((err: unknown) => {
    throw new RestoreUsageError(`${file} is not a ZIP archive (${err instanceof Error ? err.message : 'cannot open'}): give a backup-….zip or the process folder`);
  });
  const messages: { parts: string[]; entry: yauzl.Entry }[] = [];
  const mailboxes = new Set<string>();
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      // The writer always sets the UTF-8 flag; raw bytes avoid any reader-side renaming.
      const parts = (entry.fileName as unknown as Buffer).toString('utf8').split('/');
      if (parts.length >= 3) mailboxes.add(parts[0] ?? '');
      if (segment1Of(parts[parts.length - 1] ?? '') !== undefined) messages.push({ parts, entry });
    }
  } catch (err) {
    zip.close();
    throw new RestoreUsageError(`${file} cannot be read as a ZIP archive (${err instanceof Error ? err.message : String(err)}): check it with ${shownCommand(`${program} verify ${quoteArg(file)}`)}, or restore from another archive`);
  }
  const at = mailboxDepth(messages.map((m) => m.parts), segment);
  if (at > 0 && messages[0]?.parts.slice(0, at).some((p) => p.includes('@'))) {
    zip.close();
    throw new RestoreUsageError(`${file} holds ${mailbox}'s name only as a folder inside another mailbox's (${messages[0]?.parts.slice(0, at).join('/')}): that is not ${mailbox}'s backup; choose the mailbox with --mailbox-from`);
  }
  const byFolder = new Map<string, SourceFolder>();
  for (const { parts, entry } of at < 0 ? [] : messages) {
    if (parts[at]?.toLowerCase() !== segment.toLowerCase() || parts.length - at < 3) continue;
    const local = parts.slice(at + 1, -1);
    const key = local.join('/');
    const folder = byFolder.get(key) ?? { local, files: [] };
    byFolder.set(key, folder);
    folder.files.push({ name: parts[parts.length - 1] ?? '', size: entry.uncompressedSize, mtime: entry.getLastModDate(), read: () => readEntry(zip, entry) } satisfies SourceFile);
  }
  if (byFolder.size === 0) {
    zip.close();
    const held = [...mailboxes].sort();
    throw new RestoreUsageError(`${file} holds no backup of ${mailbox}${held.length ? `; it holds ${held.join(', ')}: choose one with --mailbox-from` : ''}`);
  }
  const folders = [...byFolder.values()].sort((a, b) => compare(a.local.join('/'), b.local.join('/')));
  for (const f of folders) f.files.sort((a, b) => uploadOrder(a.name, b.name));
  return { where: file, folders, close: async () => zip.close() };
}


/**
 * Where the mailbox's folder sits in the entries' paths: 0 in the tool's own archives; deeper
 * only when the whole archive sits below a common folder (someone zipped the folder above the
 * process folder). Never inside one mailbox's folders: another mailbox may well have a folder
 * named like this one (`Clients/a@x.test`), and its mail is not this mailbox's. -1: not there.
 */
export function mailboxDepth(paths: string[][], segment: string): number {
  const first = paths[0];
  if (!first) return -1;
  let common = first.length - 1;
  for (const parts of paths) {
    let i = 0;
    while (i < common && i < parts.length - 1 && parts[i] === first[i]) i++;
    common = i;
  }
  const wanted = segment.toLowerCase();
  for (let i = 0; i <= common; i++) {
    if (paths.some((parts) => parts.length - i >= 3 && parts[i]?.toLowerCase() === wanted)) return i;
  }
  return -1;
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  const stream = await new Promise<Readable>((resolve, reject) => {
    zip.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error('cannot read')) : resolve(s)));
  });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const data = Buffer.concat(chunks);
  // A damaged entry must not be uploaded as if it were the message.
  if (zlib.crc32(data) >>> 0 !== entry.crc32 >>> 0) throw new Error(`the archive's copy of ${entry.fileName.toString()} is damaged (CRC mismatch)`);
  return data;
}

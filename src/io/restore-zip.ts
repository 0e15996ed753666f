import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { segment1Of } from '../core/naming.js';
import { uploadOrder } from '../core/restore-plan.js';
import { nextEntry, openZip } from './block-reader.js';
import { compare, RestoreUsageError, type RestoreSource, type SourceFile, type SourceFolder } from './restore-types.js';

/**
 * The mailbox's entries of a backup archive, `{mailbox}/{folder…}/{file}.eml` (the mailbox folder
 * may sit deeper, when someone zipped the folder above the process folder). Only the central
 * directory is read up front; each message is inflated, and its CRC checked, when it is uploaded.
 */
export async function openZipSource(file: string, segment: string, mailbox: string): Promise<RestoreSource> {
  const zip = await openZip(file).catch((err: unknown) => {
    throw new RestoreUsageError(`${file} is not a ZIP archive (${err instanceof Error ? err.message : 'cannot open'}): give a backup-….zip or the process folder`);
  });
  const byFolder = new Map<string, SourceFolder>();
  const mailboxes = new Set<string>();
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      // The writer always sets the UTF-8 flag; raw bytes avoid any reader-side renaming.
      const parts = (entry.fileName as unknown as Buffer).toString('utf8').split('/');
      if (parts.length >= 3) mailboxes.add(parts[0] ?? '');
      const at = parts.findIndex((p) => p.toLowerCase() === segment.toLowerCase());
      const name = parts[parts.length - 1] ?? '';
      if (at < 0 || parts.length - at < 3 || segment1Of(name) === undefined) continue;
      const local = parts.slice(at + 1, -1);
      const key = local.join('/');
      const folder = byFolder.get(key) ?? { local, files: [] };
      byFolder.set(key, folder);
      const found = entry;
      folder.files.push({ name, size: found.uncompressedSize, mtime: found.getLastModDate(), read: () => readEntry(zip, found) } satisfies SourceFile);
    }
  } catch (err) {
    zip.close();
    throw new RestoreUsageError(`${file} cannot be read as a ZIP archive (${err instanceof Error ? err.message : String(err)}): check it with "imap-backup-tool verify ${file}", or restore from another archive`);
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

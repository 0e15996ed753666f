import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRestoreSource } from '../../src/io/restore-source.js';
import { mailboxDepth } from '../../src/io/restore-zip.js';

const MD5 = '0123456789abcdef0123456789abcdef';
const split = (list: string[]) => list.map((p) => p.split('/'));

describe('mailboxDepth: where a mailbox folder sits in an archive', () => {
  it.each<[string, string[], string, number]>([
    ["the tool's own archive", ['a@x/INBOX/m.eml', 'b@x/INBOX/m.eml'], 'a@x', 0],
    ['letter case of the address', ['A@X/INBOX/m.eml'], 'a@x', 0],
    ['the folder above the process folder zipped', ['process/a@x/INBOX/m.eml', 'process/b@x/Sent/m.eml'], 'a@x', 1],
    ['one mailbox, zipped from above', ['backup/process/a@x/INBOX/m.eml'], 'a@x', 2],
    ["another mailbox's folder named like this one", ['a@x/INBOX/m.eml', 'b@x/Clients/a@x/2023/m.eml'], 'a@x', 0],
    ["only another mailbox's folder named like this one", ['c@x/INBOX/m.eml', 'b@x/Clients/a@x/2023/m.eml'], 'a@x', -1],
    ['a file, not a folder, of that name', ['a@x/m.eml'], 'a@x', -1],
    ['not there', ['b@x/INBOX/m.eml'], 'a@x', -1],
    ['empty', [], 'a@x', -1],
  ])('%s', (_label, paths, segment, want) => {
    expect(mailboxDepth(split(paths), segment)).toBe(want);
  });
});

describe('restore from a ZIP takes only the mailbox asked for', () => {
  function archive(files: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-rz-'));
    for (const rel of files) {
      const p = path.join(dir, 'p', rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, 'Subject: x\r\n\r\nbody\r\n');
    }
    const zip = path.join(dir, 'backup-2024-01-01_000000.zip');
    execFileSync('zip', ['-qr', zip, '.'], { cwd: path.join(dir, 'p') });
    return zip;
  }
  const mine = `a@x.test/INBOX/${MD5}__mine__01-Jan-2024-000000.eml`;
  const theirs = `b@x.test/Clients/a@x.test/2023/${'f'.repeat(32)}__b private__01-Jan-2024-000000.eml`;

  it("never another mailbox's folder named after this one (b's mail filed under Clients/a@x.test)", async () => {
    const src = await openRestoreSource(archive([mine, theirs]), 'a@x.test', 'imap-backup-tool');
    try {
      expect(src.folders.map((f) => `${f.local.join('/')}: ${f.files.map((x) => x.name).join(',')}`)).toEqual([`INBOX: ${MD5}__mine__01-Jan-2024-000000.eml`]);
    } finally {
      await src.close();
    }
  });

  it('an archive holding that folder of another mailbox alone is refused, and says so', async () => {
    await expect(openRestoreSource(archive([theirs]), 'a@x.test', 'imap-backup-tool')).rejects.toThrow(/not a@x\.test's backup; choose the mailbox with --mailbox-from/);
  });

  it('an archive made from the folder above the process folder still restores', async () => {
    const src = await openRestoreSource(archive([`process/${mine}`, `process/${theirs}`]), 'a@x.test', 'imap-backup-tool');
    try {
      expect(src.folders.map((f) => f.local.join('/'))).toEqual(['INBOX']);
    } finally {
      await src.close();
    }
  });

  // Found in review: the advice said "imap-backup-tool verify /a b/x.zip": neither the executable's path nor the archive's quoted.
  it('an archive whose entries cannot be read names the verify that checks it, as the admin types it', async () => {
    const zip = archive([mine]);
    const spaced = path.join(path.dirname(zip), 'Mail Backup', path.basename(zip));
    fs.mkdirSync(path.dirname(spaced));
    const bytes = fs.readFileSync(zip);
    // The central directory's first record loses its signature; the end record, read on open, is intact.
    const cd = bytes.readUInt32LE(bytes.length - 22 + 16);
    bytes.writeUInt32LE(0, cd);
    fs.writeFileSync(spaced, bytes);
    const program = "'/opt/Mail Backup/imap-backup-tool-linux-x64'";
    await expect(openRestoreSource(spaced, 'a@x.test', program)).rejects.toThrow(`: check it with ${program} verify '${spaced}', or restore from another archive`);
  });
});

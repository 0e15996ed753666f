import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../src/core/config-types.js';
import type { RunReport } from '../../src/core/report.js';
import { partialVerdict } from '../../src/core/retention.js';
import { archiveStage } from '../../src/engine/archive-stage.js';
import { commitArchive, reserveArchive } from '../../src/io/archive-writer.js';
import { noteArchiving } from '../../src/io/archiving-note.js';

const HOUR = 3_600_000;
const NOW = new Date(2024, 4, 10, 2, 0, 0);

/** A root with an output folder and configuration X's process folder, holding one message per letter. */
function place(...letters: string[]): { root: string; out: string; procX: string; putMail: (c: string) => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-shared-'));
  const procX = path.join(root, 'procX');
  const putMail = (c: string) => {
    const eml = path.join(procX, 'a@x.test', 'INBOX', `${c.repeat(32)}__s__01-Jan-2024-000000.eml`);
    fs.mkdirSync(path.dirname(eml), { recursive: true });
    fs.writeFileSync(eml, `Subject: ${c}\r\n\r\nb\r\n`);
  };
  for (const c of letters) putMail(c);
  return { root, out: path.join(root, 'output'), procX, putMail };
}

describe('partialVerdict: which .partial files a run deletes', () => {
  const own = new Set(['backup-2024-05-09_020000.zip.partial', 'backup-2024-05-09_020000-2.zip.partial']);
  it.each<[string, string, Date | undefined, 'ours' | 'stale' | 'keep']>([
    ["this process folder's, just killed", 'backup-2024-05-09_020000.zip.partial', new Date(NOW.getTime() - 1000), 'ours'],
    ["this process folder's, with a suffix", 'backup-2024-05-09_020000-2.zip.partial', NOW, 'ours'],
    ["another's, of the same second as ours", 'backup-2024-05-09_020000-3.zip.partial', NOW, 'keep'],
    ["another's, being written", 'backup-2024-05-10_015959.zip.partial', new Date(NOW.getTime() - 1000), 'keep'],
    ["another's, untouched for 11 h", 'backup-2024-05-09_150000.zip.partial', new Date(NOW.getTime() - 11 * HOUR), 'keep'],
    ["another's, untouched for 13 h", 'backup-2024-05-09_130000.zip.partial', new Date(NOW.getTime() - 13 * HOUR), 'stale'],
    ['no modification time', 'backup-2024-05-08_020000.zip.partial', undefined, 'keep'],
  ])('%s', (_label, name, mtime, want) => {
    expect(partialVerdict(name, mtime, own, NOW, 12 * HOUR)).toBe(want);
  });
});

describe('two configurations sharing one output folder', () => {
  const config = (root: string, proc: string, out: string): AppConfig => ({
    configPath: path.join(root, 'c.yml'), mailboxListPath: '', rootFolder: root, logsFolder: path.join(root, 'logs'),
    processFolder: proc, outputFolder: out, archiveToZip: true, cleanProcessFolder: false, rollingMethod: 'DAYS',
    deleteOlderBackupThanDays: 3, deleteBackupsItemsToKeep: 0, zipCompressionLevel: 6, verifyArchive: true,
    concurrency: 1, retries: 0, retryDelayMs: 0, connectionsPerMailbox: 1, timeoutMs: 1000, lockStaleMs: 12 * HOUR,
    notification: {} as AppConfig['notification'], mailboxes: [], secrets: [],
  });
  const report: RunReport = { startedAt: new Date(), finishedAt: new Date(), dryRun: false, interrupted: false, mailboxes: [] };

  it("a run leaves the other configuration's archive in progress alone, and deletes its own dead run's", async () => {
    const { root, out, procX } = place('a');
    // X's own earlier run was killed while writing its archive yesterday.
    const yesterday = new Date(Date.now() - 24 * HOUR);
    const dead = await reserveArchive(out, yesterday, { claim: (n) => noteArchiving(procX, n), release: async () => undefined });
    // Configuration Y (its own process folder and lock) is writing its archive right now.
    const y = await reserveArchive(out, new Date(Date.now() - 5000));
    const events: string[] = [];
    const r = await archiveStage(config(root, procX, out), report, { dryRun: false, onEvent: (e) => events.push(e.message) });
    expect(r.verified).toBe(true);
    expect(fs.existsSync(y.partialPath)).toBe(true);
    expect(fs.existsSync(dead.partialPath)).toBe(false);
    expect(events).toContain(`deleted ${path.basename(dead.partialPath)}, left over from an interrupted run`);
    expect(events.some((e) => e.startsWith(`left ${path.basename(y.partialPath)} alone: another configuration may be writing it`))).toBe(true);
    await commitArchive(y);
    expect(fs.existsSync(y.finalPath)).toBe(true);
    // Its own archive committed and the dead run's deleted: nothing is noted any more.
    expect(fs.existsSync(path.join(procX, '.imap-backup-tool', 'archiving'))).toBe(false);
  });

  it("another configuration's archive of the same second is never taken for ours, also after a night on which rolling waited", async () => {
    const { root, out, procX, putMail } = place();
    const night = (failed: boolean): RunReport => ({
      ...report, mailboxes: [{ mailbox: 'a@x.test', ok: !failed, ...(failed ? { error: 'login refused' } : {}), folders: [], seconds: 0 }],
    });
    const cleaning = { ...config(root, procX, out), cleanProcessFolder: true };
    // X and Y start archiving in the same second S: Y takes the plain name, X the -2.
    const S = new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000);
    putMail('a');
    const y = await reserveArchive(out, S);
    const held = await archiveStage(cleaning, night(true), { dryRun: false, now: S });
    expect(held.verified).toBe(true);
    expect(path.basename(held.path as string)).toMatch(/-2\.zip$/);
    expect(held.rolling?.skipped).toMatch(/not fully backed up/);
    expect(fs.existsSync(path.join(procX, '.imap-backup-tool', 'archiving'))).toBe(false);
    // The admin fixes the password and runs X again while Y is still writing.
    putMail('b');
    const again = await archiveStage(cleaning, night(false), { dryRun: false });
    expect(again.verified).toBe(true);
    expect(fs.existsSync(y.partialPath)).toBe(true);
    await commitArchive(y);
  });

  it("a run in the same second as this folder's killed run still takes that run's .partial for a dead one (seen in the kill test)", async () => {
    const { root, out, procX } = place('d');
    const S = new Date(Math.floor(Date.now() / 1000) * 1000);
    const dead = await reserveArchive(out, S, { claim: (n) => noteArchiving(procX, n), release: async () => undefined });
    const r = await archiveStage(config(root, procX, out), report, { dryRun: false, now: S });
    expect(path.basename(r.path as string)).toMatch(/-2\.zip$/);
    expect(fs.existsSync(dead.partialPath)).toBe(false);
    expect(fs.existsSync(path.join(procX, '.imap-backup-tool', 'archiving'))).toBe(false);
  });

  it('a dead run of this process folder leaves a .partial that is deleted even on a night on which rolling waits', async () => {
    const { root, out, procX } = place('c');
    const dead = await reserveArchive(out, new Date(Date.now() - HOUR), { claim: (n) => noteArchiving(procX, n), release: async () => undefined });
    const failedNight: RunReport = { ...report, mailboxes: [{ mailbox: 'a@x.test', ok: false, error: 'login refused', folders: [], seconds: 0 }] };
    const r = await archiveStage({ ...config(root, procX, out), cleanProcessFolder: true }, failedNight, { dryRun: false });
    expect(r.rolling?.skipped).toMatch(/not fully backed up/);
    expect(fs.existsSync(dead.partialPath)).toBe(false);
    expect(fs.existsSync(path.join(procX, '.imap-backup-tool', 'archiving'))).toBe(false);
  });
});

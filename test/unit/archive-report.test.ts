import { describe, expect, it } from 'vitest';
import { runStatus, type ArchiveReport, type RunReport } from '../../src/core/report.js';
import { archiveLines, summaryHeadline } from '../../src/core/summary.js';

const ok = { mailbox: 'a@example.org', ok: true, folders: [], seconds: 1 };
const run = (archive?: Partial<ArchiveReport>, over: Partial<RunReport> = {}): RunReport => ({
  startedAt: new Date(0), finishedAt: new Date(0), dryRun: false, interrupted: false, mailboxes: [ok], ...over,
  ...(archive ? { archive: { entries: 0, bytes: 0, archiveBytes: 0, seconds: 0, verified: false, ...archive } } : {}),
});

describe('the archive in the run status and the summary', () => {
  it.each<[string, RunReport, string]>([
    ['no archive stage', run(), 'OK'],
    ['archive written', run({ path: '/o/backup.zip', verified: true }), 'OK'],
    ['nothing to archive', run({ skipped: 'nothing to archive' }), 'OK'],
    ['archive failed', run({ error: 'disk full' }), 'PARTIAL'],
    ['an old archive could not be deleted', run({ path: '/o/b.zip', verified: true, warnings: ['rolling: could not delete x'] }), 'PARTIAL'],
    ['every mailbox failed and the archive too', run({ error: 'x' }, { mailboxes: [{ ...ok, ok: false, error: 'login' }] }), 'FAILED'],
  ])('%s: %s', (_label, report, status) => {
    expect(runStatus(report)).toBe(status);
  });

  it('shows the archive, the cleaning and what rolling deleted', () => {
    const lines = archiveLines(run({ path: '/o/backup-2024-05-10_020000.zip', entries: 1234, bytes: 5 * 1024 * 1024, archiveBytes: 2 * 1024 * 1024, verified: true, cleanedFiles: 1234, rolling: { method: 'ITEMS', removed: ['backup-2024-05-01_020000.zip'], kept: ['a', 'b'] } }));
    expect(lines).toEqual([
      'Archive: /o/backup-2024-05-10_020000.zip, 1,234 entries, 5.0 MB in 2.0 MB, verified',
      'Cleaned: 1,234 files removed from the process folder',
      'Rolling (ITEMS): deleted backup-2024-05-01_020000.zip; 2 kept',
    ]);
  });

  it('says what a dry run would delete, and why a failed archive rolled nothing', () => {
    expect(archiveLines(run({ rolling: { method: 'DAYS', removed: ['x.zip'], kept: [] } }, { dryRun: true }))).toEqual(['Rolling (DAYS): would delete x.zip; 0 kept']);
    const failed = run({ error: 'the disk of /o is full', rolling: { method: 'DAYS', removed: [], kept: [], skipped: 'the archive failed' } });
    expect(archiveLines(failed)).toEqual(['Archive: FAILED: the disk of /o is full', 'Rolling (DAYS): skipped, the archive failed']);
    expect(summaryHeadline(failed)).toMatch(/^\[PARTIAL\] .*archive FAILED$/);
  });

  it.each<[string, RunReport, RegExp]>([
    ['only rolling or cleaning warned', run({ path: '/o/b.zip', verified: true, warnings: ['rolling: could not delete x'] }), /^\[PARTIAL\] 1 mailbox, 0 new \(0 B\), 0 already present, archive warnings \(see above\)$/],
    ['one message failed', run(undefined, { mailboxes: [{ ...ok, folders: [{ folder: 'INBOX', local: 'INBOX', newCount: 1, present: 0, duplicates: 0, vanished: 0, failed: 1, bytes: 0, seconds: 0 }] }] }), /^\[PARTIAL\] .*, 1 of 1 with failures$/],
  ])('a [PARTIAL] headline always says why: %s', (_label, report, want) => {
    expect(summaryHeadline(report)).toMatch(want);
  });
});

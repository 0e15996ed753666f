import { describe, expect, it } from 'vitest';
import { archiveFileName, parseArchiveName, planRetention, type ArchiveFile, type RetentionPolicy } from '../../src/core/retention.js';

// Local time throughout, as in the archive names.
const NOW = new Date(2024, 4, 10, 2, 0, 30);
const days = (n: number): RetentionPolicy => ({ method: 'DAYS', days: n, items: 99 });
const items = (n: number): RetentionPolicy => ({ method: 'ITEMS', days: 99, items: n });
const names = (list: string[]): ArchiveFile[] => list.map((name) => ({ name }));

describe('archive names', () => {
  it('formats local time, with -n for a second archive of the same second', () => {
    expect(archiveFileName(new Date(2024, 0, 2, 3, 4, 5))).toBe('backup-2024-01-02_030405.zip');
    expect(archiveFileName(new Date(2024, 0, 2, 3, 4, 5), 2)).toBe('backup-2024-01-02_030405-2.zip');
  });

  it.each<[string, string, { time: Date | undefined; micros: number; seq: number } | undefined]>([
    ['ours', 'backup-2024-05-09_020000.zip', { time: new Date(2024, 4, 9, 2, 0, 0), micros: 0, seq: 1 }],
    ['ours, collision suffix', 'backup-2024-05-09_020000-2.zip', { time: new Date(2024, 4, 9, 2, 0, 0), micros: 0, seq: 2 }],
    ['ours, suffix 12', 'backup-2024-05-09_020000-12.zip', { time: new Date(2024, 4, 9, 2, 0, 0), micros: 0, seq: 12 }],
    ["original tool's microseconds", 'backup-2022-03-28_183517123456.zip', { time: new Date(2022, 2, 28, 18, 35, 17), micros: 123456, seq: 1 }],
    ['digits that are no date: mtime decides', 'backup-2024-13-45_250000.zip', { time: undefined, micros: 0, seq: 1 }],
    ['30 February', 'backup-2023-02-30_010000.zip', { time: undefined, micros: 0, seq: 1 }],
    ['29 February of a leap year', 'backup-2024-02-29_010000.zip', { time: new Date(2024, 1, 29, 1, 0, 0), micros: 0, seq: 1 }],
    ['partial', 'backup-2024-05-09_020000.zip.partial', undefined],
    ['partial with suffix', 'backup-2024-05-09_020000-2.zip.partial', undefined],
    ['suffix -1 (never written)', 'backup-2024-05-09_020000-1.zip', undefined],
    ['suffix -0', 'backup-2024-05-09_020000-0.zip', undefined],
    ['suffix -02', 'backup-2024-05-09_020000-02.zip', undefined],
    ['upper-case extension', 'backup-2024-05-09_020000.ZIP', undefined],
    ['other prefix', 'mybackup-2024-05-09_020000.zip', undefined],
    ['copy by Explorer', 'backup-2024-05-09_020000 - Copy.zip', undefined],
    ['5 fraction digits', 'backup-2024-05-09_02000012345.zip', undefined],
    ['no time', 'backup-2024-05-09.zip', undefined],
    ['foreign zip', 'photos.zip', undefined],
    ['log file', 'mailbackup-2024-05-09_020000.log', undefined],
  ])('%s: %s', (_label, name, want) => {
    expect(parseArchiveName(name)).toEqual(want);
  });
});

describe('planRetention', () => {
  const daily = names([
    'backup-2024-05-10_020000.zip', // 30 s old
    'backup-2024-05-09_020000.zip', // 1 day
    'backup-2024-05-08_020000.zip', // 2 days
    'backup-2024-05-07_020100.zip', // 2 days 23:59:30: within 3 days
    'backup-2024-05-07_020000.zip', // exactly 3 days and 30 s: older
    'backup-2024-05-01_020000.zip',
    'backup-2022-03-28_183517123456.zip', // the original tool's
  ]);

  it.each<[string, RetentionPolicy, string[]]>([
    ['DAYS 3', days(3), ['backup-2024-05-07_020000.zip', 'backup-2024-05-01_020000.zip', 'backup-2022-03-28_183517123456.zip']],
    // 1 day and 30 s is older than 1 day: full 24-hour days, counted from now.
    ['DAYS 1', days(1), ['backup-2024-05-09_020000.zip', 'backup-2024-05-08_020000.zip', 'backup-2024-05-07_020100.zip', 'backup-2024-05-07_020000.zip', 'backup-2024-05-01_020000.zip', 'backup-2022-03-28_183517123456.zip']],
    ['DAYS 0 deletes nothing', days(0), []],
    ['DAYS 10000 deletes nothing', days(10_000), []],
    ['ITEMS 3', items(3), ['backup-2024-05-07_020100.zip', 'backup-2024-05-07_020000.zip', 'backup-2024-05-01_020000.zip', 'backup-2022-03-28_183517123456.zip']],
    ['ITEMS 1', items(1), daily.slice(1).map((f) => f.name)],
    ['ITEMS 0 deletes nothing', items(0), []],
    ['ITEMS more than there are', items(50), []],
  ])('%s', (_label, policy, removed) => {
    const plan = planRetention(daily, policy, NOW);
    expect(plan.remove).toEqual(removed);
    expect(new Set([...plan.keep, ...plan.remove])).toEqual(new Set(daily.map((f) => f.name)));
    for (const f of daily) expect(plan.reasons[f.name]).toBeTruthy();
  });

  it('ignores foreign files and .partial leftovers, whatever their age', () => {
    const files = names(['backup-2020-01-01_000000.zip.partial', 'report.zip', 'backup-2020-01-01_000000.zip', 'notes.txt', 'backup-2020-01-01_000000.ZIP']);
    for (const policy of [days(1), items(1), items(0)]) {
      const plan = planRetention(files, policy, NOW);
      expect([...plan.keep, ...plan.remove]).toEqual(['backup-2020-01-01_000000.zip']);
      expect(Object.keys(plan.reasons)).toEqual(['backup-2020-01-01_000000.zip']);
    }
  });

  it('never removes the archive just written, even with a clock set back or ITEMS 1', () => {
    const files = names(['backup-2024-05-09_020000.zip', 'backup-2024-05-10_020000.zip', 'backup-2019-01-01_000000.zip']);
    const written = 'backup-2019-01-01_000000.zip';
    expect(planRetention(files, days(1), NOW, written).keep).toContain(written);
    const plan = planRetention(files, items(1), NOW, written);
    // It counts as one of the N kept: ITEMS leaves exactly N.
    expect(plan.keep).toEqual([written]);
    expect(plan.remove).toEqual(['backup-2024-05-10_020000.zip', 'backup-2024-05-09_020000.zip']);
    expect(planRetention(files, items(2), NOW, written).keep).toEqual([written, 'backup-2024-05-10_020000.zip']);
  });

  it('orders the same second by microseconds and suffix, the same for any listing order', () => {
    const same = ['backup-2024-05-09_020000.zip', 'backup-2024-05-09_020000-2.zip', 'backup-2024-05-09_020000-10.zip', 'backup-2024-05-09_020000000001.zip', 'backup-2024-05-09_020000999999.zip'];
    const expected = planRetention(names(same), items(2), NOW);
    expect(expected.keep).toEqual(['backup-2024-05-09_020000999999.zip', 'backup-2024-05-09_020000000001.zip']);
    // Ours: the suffix counts up within a second; -10 is later than -2 (not string order).
    const ours = planRetention(names(same.filter((n) => !/\d{12}\.zip$/.test(n))), items(2), NOW);
    expect(ours.keep).toEqual(['backup-2024-05-09_020000-10.zip', 'backup-2024-05-09_020000-2.zip']);
    for (let i = 0; i < 20; i++) {
      const shuffled = [...same].sort(() => Math.random() - 0.5);
      expect(planRetention(names(shuffled), items(2), NOW)).toEqual(expected);
    }
  });

  it('falls back to the modification time only when the name holds no real date', () => {
    const files: ArchiveFile[] = [
      { name: 'backup-2024-02-30_020000.zip', mtime: new Date(2024, 4, 9, 12, 0, 0) },
      { name: 'backup-2024-02-31_020000.zip', mtime: new Date(2024, 3, 1) },
      { name: 'backup-2024-13-01_020000.zip' },
      // A real date in the name wins over a recent mtime (a copy or a restore touches mtimes).
      { name: 'backup-2024-01-01_020000.zip', mtime: new Date(2024, 4, 10) },
    ];
    const plan = planRetention(files, days(3), NOW);
    expect(plan.keep).toEqual(['backup-2024-13-01_020000.zip', 'backup-2024-02-30_020000.zip']);
    expect(plan.remove).toEqual(['backup-2024-02-31_020000.zip', 'backup-2024-01-01_020000.zip']);
    expect(plan.reasons['backup-2024-02-31_020000.zip']).toContain('by modification time');
    expect(plan.reasons['backup-2024-13-01_020000.zip']).toContain('kept');
  });

  it('keeps archives dated in the future (a clock that was ahead)', () => {
    const plan = planRetention(names(['backup-2030-01-01_000000.zip']), days(1), NOW);
    expect(plan.keep).toEqual(['backup-2030-01-01_000000.zip']);
  });

  describe('a clock set back (a reset CMOS battery): nothing is deleted, and the plan says why', () => {
    // Three good nights in May 2024, then the clock falls back to 2019 for two nights.
    const may = ['backup-2024-05-08_020000.zip', 'backup-2024-05-09_020000.zip', 'backup-2024-05-10_020000.zip'];
    it.each<[string, RetentionPolicy]>([['ITEMS 3', items(3)], ['ITEMS 1', items(1)], ['DAYS 3', days(3)]])('%s', (_label, policy) => {
      const night1 = planRetention(names([...may, 'backup-2019-01-01_020000.zip']), policy, new Date(2019, 0, 1, 2), 'backup-2019-01-01_020000.zip');
      expect(night1.remove).toEqual([]);
      expect(night1.halted).toContain('backup-2024-05-10_020000.zip is dated 2024-05-10 02:00');
      expect(night1.halted).toContain('clock');
      const night2 = planRetention(names([...night1.keep, 'backup-2019-01-02_020000.zip']), policy, new Date(2019, 0, 2, 2), 'backup-2019-01-02_020000.zip');
      expect(night2.remove).toEqual([]);
      expect(night2.keep).toHaveLength(5);
    });

    it.each<[string, Date]>([
      ['an archive an hour ahead (DST, a time zone moved east)', new Date(2024, 4, 10, 3, 0, 30)],
      ['23 hours ahead', new Date(2024, 4, 11, 1, 0, 30)],
    ])('but not for %s', (_label, newest) => {
      const file = archiveFileName(newest);
      const plan = planRetention([...daily, { name: file }], items(3), NOW);
      expect(plan.halted).toBeUndefined();
      expect(plan.keep[0]).toBe(file);
      expect(plan.remove.length).toBeGreaterThan(0);
    });

    it('nor when the policy deletes nothing (0)', () => {
      const plan = planRetention(names([...may, 'backup-2019-01-01_020000.zip']), items(0), new Date(2019, 0, 1, 2));
      expect(plan.halted).toBeUndefined();
      expect(plan.remove).toEqual([]);
    });
  });

  it('gives a reason a human can act on', () => {
    const plan = planRetention(daily, days(3), NOW);
    expect(plan.reasons['backup-2024-05-01_020000.zip']).toBe('older than 3 days (2024-05-01 02:00)');
    expect(plan.reasons['backup-2024-05-09_020000.zip']).toBe('within 3 days (2024-05-09 02:00)');
    expect(planRetention(daily, items(3), NOW).reasons['backup-2024-05-01_020000.zip']).toBe('not one of the newest 3 (2024-05-01 02:00)');
  });
});

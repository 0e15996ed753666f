import type { ScheduleSpec } from '../../src/core/schedule.js';

// One copy for test/unit/schedule.test.ts (a model of cmd.exe) and test/wine/cmd-line.wine.ts (Wine's
// real cmd.exe), so the two check the same lines. The Wine test runs under its own vitest config
// (test/wine/vitest.config.ts), which loads this file like any other import.

/** The executable and its configuration where an admin puts them on Windows. */
export const WIN: ScheduleSpec = {
  command: ['C:\\Program Files\\Mail Backup\\imap-backup-tool-win-x64.exe'],
  configPath: 'C:\\Program Files\\Mail Backup\\configuration.yml',
  hour: 2,
  minute: 0,
  name: 'imap-backup-tool',
};

export interface CmdCase {
  /** What differs from WIN. */
  change: Partial<ScheduleSpec>;
  /** Why Wine's cmd.exe does not read this line as Windows' does, when it does not. */
  notUnderWine?: string;
}

/** Specs whose printed schtasks line must reach schtasks unchanged through cmd.exe (delayed expansion off). */
export const CMD_CASES: CmdCase[] = [
  { change: {} },
  { change: { command: ['C:\\R&D\\imap-backup-tool.exe'], configPath: 'C:\\R&D\\configuration.yml' } },
  { change: { command: ['C:\\Mail & Co\\imap-backup-tool.exe'], configPath: 'C:\\Mail & Co\\configuration.yml' } },
  {
    change: { configPath: 'C:\\a^b\\c^^d\\configuration.yml' },
    // Wine's cmd counts quotes as nesting (WCMD_IsEndQuote) where Windows' toggles at every one, so
    // the caret before a ^ in a path, which Windows' cmd removes, stays there.
    notUnderWine: 'quotes nest in Wine: a ^ in a path stays doubled',
  },
  { change: { configPath: 'C:\\pipe|here\\configuration.yml' } },
  { change: { configPath: 'C:\\in<out>\\configuration.yml' } },
  { change: { configPath: 'C:\\say "a&b" now\\configuration.yml' } },
  { change: { configPath: 'C:\\trailing\\&\\' } },
  { change: { configPath: 'C:\\"&"\\x.yml' } },
  { change: { configPath: '\\\\server\\R&D share\\configuration.yml' } },
  { change: { command: ['C:\\node\\node.exe', 'C:\\R&D\\app\\cli.cjs'], configPath: 'C:\\R&D\\configuration.yml' } },
  { change: { user: 'R&D\\svc-backup' } },
  { change: { user: 'R&D team\\svc' } },
  { change: { user: 'CONTOSO\\svc^1' } },
  { change: { command: ['C:\\Program Files (x86)\\Mail Backup\\imap-backup-tool.exe'] } },
  // Read right with delayed expansion off only; schedule warns about a ! (cmdMayDelayExpand).
  { change: { configPath: 'C:\\Hey!\\configuration.yml' } },
  { change: { command: ['C:\\R&D !OS!\\imap-backup-tool.exe'], user: 'svc!1' } },
];

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NotificationConfig } from '../../src/core/config-types.js';
import { ConfigError } from '../../src/core/errors.js';
import { programName, quoteArg, shownCommand } from '../../src/core/init-command.js';
import { buildNotification } from '../../src/core/notification.js';
import { acquireLock } from '../../src/io/lock.js';

// Found in review: a command whose executable path is quoted for cmd.exe ("C:\Program Files\…")
// does not run when pasted into PowerShell, which reads a line starting with a string as that
// string ("Unexpected token 'check' in expression or statement") unless & comes first.
describe('a Windows command with a quoted executable says what PowerShell needs', () => {
  const exe = programName('C:\\Program Files\\Mail Backup', 'C:\\Program Files\\Mail Backup\\imap-backup-tool-win-x64.exe', 'win32');
  const check = `${exe} check --config ${quoteArg('C:\\Mail Backup\\configuration.yml', 'win32')}`;
  const NOTE = ' (in PowerShell, put & and a space before it)';

  it('in a sentence', () => {
    expect(exe).toBe('"C:\\Program Files\\Mail Backup\\imap-backup-tool-win-x64.exe"');
    expect(shownCommand(check)).toBe(`"C:\\Program Files\\Mail Backup\\imap-backup-tool-win-x64.exe" check --config "C:\\Mail Backup\\configuration.yml"${NOTE}`);
  });

  it('not where PowerShell runs the line as it is', () => {
    const bare = programName('C:\\Tools', 'C:\\Tools\\imap-backup-tool-win-x64.exe', 'win32');
    expect(shownCommand(`${bare} check --config "C:\\Mail Backup\\configuration.yml"`)).not.toContain('PowerShell');
    expect(shownCommand(`${programName('/opt/Mail Backup', '/opt/Mail Backup/imap-backup-tool-linux-x64', 'linux')} check`)).toBe("'/opt/Mail Backup/imap-backup-tool-linux-x64' check");
    expect(shownCommand('imap-backup-tool check')).toBe('"imap-backup-tool check"');
  });

  it('in the mail of a run that did not start, and in the lock a killed run left', () => {
    const error = new ConfigError([{ file: 'C:\\Mail Backup\\configuration.yml', key: 'common', message: 'section is missing' }]);
    const config = { enabled: true, subject: 's', message: '' } as NotificationConfig;
    const mail = buildNotification({ kind: 'failure', error, startedAt: new Date() }, config, {
      host: 'srv', version: '1', now: new Date(), log: {}, check,
    });
    expect(mail.text).toContain(`${check}${NOTE} shows whether`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-lock-'));
    try {
      const unlock = `${exe} unlock --config "C:\\Mail Backup\\configuration.yml"`;
      const lock = acquireLock(dir, { staleAfterMs: 3_600_000 });
      expect(() => acquireLock(dir, { staleAfterMs: 3_600_000, unlock })).toThrow(`remove it with: ${unlock}${NOTE}`);
      lock.release();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

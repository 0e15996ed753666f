import { describe, expect, it } from 'vitest';
import { emptyFolderReport, type MailboxReport } from '../../src/core/report.js';
import { rollingHold } from '../../src/engine/archive-stage.js';

const ok = (mailbox: string): MailboxReport => ({ mailbox, ok: true, folders: [emptyFolderReport('INBOX', 'INBOX')], seconds: 0 });
const loginFailed = (mailbox: string): MailboxReport => ({ mailbox, ok: false, error: 'login refused', folders: [], seconds: 0 });
const folderFailed = (mailbox: string): MailboxReport => ({ mailbox, ok: true, folders: [{ ...emptyFolderReport('INBOX', 'INBOX'), error: 'cut' }], seconds: 0 });
const messageFailed = (mailbox: string): MailboxReport => ({ mailbox, ok: true, folders: [{ ...emptyFolderReport('INBOX', 'INBOX'), failed: 1 }], seconds: 0 });

describe('rollingHold: when an archive was written but rolling must wait', () => {
  it.each<[string, { archiveToZip: boolean; cleanProcessFolder: boolean }, MailboxReport[], boolean, RegExp | undefined]>([
    ['all good, cleaning on', { archiveToZip: true, cleanProcessFolder: true }, [ok('a'), ok('b')], false, undefined],
    ['all good, cleaning off', { archiveToZip: true, cleanProcessFolder: false }, [ok('a')], false, undefined],
    ['a login failed, cleaning off: the process folder still has its files', { archiveToZip: true, cleanProcessFolder: false }, [ok('a'), loginFailed('b')], false, undefined],
    ['--mailbox, cleaning off', { archiveToZip: true, cleanProcessFolder: false }, [ok('a')], true, undefined],
    ['no archive at all', { archiveToZip: false, cleanProcessFolder: false }, [ok('a')], false, /^archiveToZip is False/],
    ['a login failed, cleaning on', { archiveToZip: true, cleanProcessFolder: true }, [ok('a'), loginFailed('b')], false, /^b was not fully backed up/],
    ['a folder failed, cleaning on', { archiveToZip: true, cleanProcessFolder: true }, [folderFailed('a')], false, /^a was not fully backed up/],
    ['a message failed, cleaning on', { archiveToZip: true, cleanProcessFolder: true }, [messageFailed('a')], false, /^a was not fully backed up/],
    ['four failed, cleaning on', { archiveToZip: true, cleanProcessFolder: true }, ['w', 'x', 'y', 'z'].map(loginFailed), false, /^4 mailboxes \(w, x, y, …\) were not fully backed up/],
    ['--mailbox, cleaning on', { archiveToZip: true, cleanProcessFolder: true }, [ok('a')], true, /^the run was limited with --mailbox/],
  ])('%s', (_label, config, mailboxes, someOnly, want) => {
    const hold = rollingHold(config, { mailboxes }, someOnly);
    if (want === undefined) expect(hold).toBeUndefined();
    else expect(hold?.why).toMatch(want);
  });

  it('a failure is a warning; a limited run or no archive is not', () => {
    expect(rollingHold({ archiveToZip: true, cleanProcessFolder: true }, { mailboxes: [loginFailed('b')] }, false)?.level).toBe('warn');
    expect(rollingHold({ archiveToZip: true, cleanProcessFolder: true }, { mailboxes: [ok('a')] }, true)?.level).toBe('info');
    expect(rollingHold({ archiveToZip: false, cleanProcessFolder: true }, { mailboxes: [] }, false)?.level).toBe('info');
  });
});

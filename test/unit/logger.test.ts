import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/cli/logger.js';

describe('Logger', () => {
  it('builds debug lines only with --verbose, and redacts them in the log file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-log-'));
    const quiet = new Logger(false);
    const quietFile = quiet.openFile(path.join(dir, 'q'));
    quiet.debug(() => {
      throw new Error('a debug line was built without --verbose');
    });
    quiet.info('kept');
    quiet.close();
    expect(fs.readFileSync(quietFile, 'utf8')).toMatch(/^\S+ \S+ \[info\] kept\n$/);
    const loud = new Logger(true);
    loud.addSecrets(['s3cret-pass']);
    const loudFile = loud.openFile(path.join(dir, 'l'));
    loud.debug(() => 'saved with s3cret-pass inside');
    loud.debug('plain debug');
    loud.close();
    const text = fs.readFileSync(loudFile, 'utf8');
    expect(text).toContain('[debug] saved with *** inside');
    expect(text).toContain('[debug] plain debug');
    expect(text).not.toContain('s3cret-pass');
  });

  it('redacts the longest secret first and leaves words that merely hold a short one', () => {
    const log = new Logger(false);
    log.addSecrets(['mail', 'mail-Secret-2026']);
    expect(log.redact('login mail-Secret-2026 for mailbox "mail"')).toBe('login *** for mailbox "***"');
  });
});

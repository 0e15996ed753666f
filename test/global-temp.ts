import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Every temp folder of a test run (workspaces, Dovecots, certificates) goes under one folder of its
 * own, removed when the run ends: a developer's /tmp does not fill up run after run. A folder the
 * run is asked to keep (IBT_KEEP_TEST_TMP=1) is left, and said where.
 */
export default function setup(): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-tests-'));
  // Dovecot's mail processes run as another user: they must get through to their own folders.
  fs.chmodSync(root, 0o711);
  process.env['TMPDIR'] = root;
  return () => {
    if (process.env['IBT_KEEP_TEST_TMP'] === '1') return void console.log(`test temp folders kept in ${root}`);
    try {
      // A Dovecot whose stop failed may still be writing: tried again, and never fails the run.
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    } catch (err) {
      console.log(`could not remove the test temp folder ${root}: ${(err as Error).message}`);
    }
  };
}

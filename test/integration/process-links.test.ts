import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { AppConfig } from '../../src/core/config-types.js';
import type { RunReport } from '../../src/core/report.js';
import { archiveStage } from '../../src/engine/archive-stage.js';
import { readZip } from '../helpers/zip.js';

/**
 * A mailbox folder (or one of its folders) moved to another disk behind a symbolic link: links are
 * never followed, so that neither the archive nor the cleaning reaches outside the process folder,
 * and the admin must hear that those messages are in no archive.
 */
it('links in the process folder are not archived, and the run says which and what to do', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-links-'));
  const proc = path.join(root, 'process');
  const put = (dir: string, c: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${c.repeat(32)}__s__01-Jan-2024-000000.eml`), `Subject: ${c}\r\n\r\nbody\r\n`);
  };
  put(path.join(proc, 'a@x.test', 'INBOX'), 'a');
  put(path.join(root, 'bigdisk', 'b@x.test', 'INBOX'), 'b');
  put(path.join(root, 'bigdisk', 'Archive'), 'c');
  fs.symlinkSync(path.join(root, 'bigdisk', 'b@x.test'), path.join(proc, 'b@x.test'));
  fs.symlinkSync(path.join(root, 'bigdisk', 'Archive'), path.join(proc, 'a@x.test', 'Archive'));
  const config = {
    processFolder: proc, outputFolder: path.join(root, 'out'), archiveToZip: true, cleanProcessFolder: true, rollingMethod: 'ITEMS',
    deleteOlderBackupThanDays: 0, deleteBackupsItemsToKeep: 0, zipCompressionLevel: 6, verifyArchive: true,
  } as AppConfig;
  const report: RunReport = { startedAt: new Date(), finishedAt: new Date(), dryRun: false, interrupted: false, mailboxes: [] };
  const warned: string[] = [];
  const result = await archiveStage(config, report, { dryRun: false, onEvent: (e) => e.level === 'warn' && warned.push(e.message) });
  expect(result.verified).toBe(true);
  expect([...(await readZip(result.path as string)).keys()]).toEqual([`a@x.test/INBOX/${'a'.repeat(32)}__s__01-Jan-2024-000000.eml`]);
  expect(result.warnings).toEqual([expect.stringContaining(`2 symbolic links (or junctions) in ${proc} were not archived: a@x.test/Archive, b@x.test. Links are not followed; make them real folders`)]);
  expect(warned).toEqual(result.warnings);
  // Cleaning took only what was archived: the linked folders and their files are untouched.
  expect(fs.readdirSync(path.join(root, 'bigdisk', 'b@x.test', 'INBOX'))).toHaveLength(1);
  expect(fs.readdirSync(path.join(root, 'bigdisk', 'Archive'))).toHaveLength(1);
  expect(fs.lstatSync(path.join(proc, 'b@x.test')).isSymbolicLink()).toBe(true);
});

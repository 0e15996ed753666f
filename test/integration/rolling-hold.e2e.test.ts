import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveFileName } from '../../src/core/retention.js';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { writeWorkspace, type Workspace } from '../helpers/setup.js';
import { readZip } from '../helpers/zip.js';

/**
 * When rolling must wait although an archive was written: with cleanProcessFolder each archive
 * is the only copy of the mail in it, so one that lacks a mailbox must not rotate away the last
 * archive that has it; and a clock set back must not make ITEMS delete the newest real backups.
 */
const A = { address: 'a@hold.test', password: 'pw-hold-a' };
const B = { address: 'b@hold.test', password: 'pw-hold-b' };
const OURS = /^backup-\d{4}-\d\d-\d\d_\d{6}(-\d+)?\.zip$/;

let server: DovecotServer;
beforeAll(async () => {
  server = await startDovecot();
  for (const m of [A, B]) {
    await server.addUser(m.address, m.password);
    await server.seed(m.address, 'INBOX', [{ raw: makeMessage({ subject: `mail of ${m.address}` }) }]);
  }
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

function workspace(storage: Record<string, string>, password = B.password): Workspace {
  const ws = writeWorkspace(server, [A, { ...B, password }]);
  let text = fs.readFileSync(ws.configPath, 'utf8');
  for (const [key, value] of Object.entries(storage)) text = text.replace(new RegExp(`^  ${key}: .*$`, 'm'), `  ${key}: ${value}`);
  fs.writeFileSync(ws.configPath, text);
  return ws;
}

const setPassword = (ws: Workspace, from: string, to: string) => {
  const list = path.join(ws.dir, 'mailboxes_to_backup.yml');
  fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replace(`'${from}'`, `'${to}'`));
};
const archives = (ws: Workspace) => fs.readdirSync(ws.outputFolder).filter((n) => OURS.test(n)).sort();
/** Archives are named by the second: the next run must not share this one's. */
const nextSecond = () => new Promise((r) => setTimeout(r, 1100));
async function mailboxesIn(ws: Workspace): Promise<Set<string>> {
  const found = new Set<string>();
  for (const z of archives(ws)) for (const name of (await readZip(path.join(ws.outputFolder, z))).keys()) found.add(name.split('/')[0]!);
  return found;
}

describe('rolling holds', () => {
  it('with cleanProcessFolder, a night on which a mailbox fails keeps the archive holding its mail; the next good night rolls', async () => {
    const ws = workspace({ archiveToZip: 'True', cleanProcessFolder: 'True', rollingMethod: "'ITEMS'", deleteBackupsItemsToKeep: '1' });
    const r1 = await runCli(['--config', ws.configPath]);
    expect(r1.code, r1.stdout + r1.stderr).toBe(0);
    const [night1] = archives(ws);
    expect(await mailboxesIn(ws)).toEqual(new Set([A.address, B.address]));

    setPassword(ws, B.password, 'wrong-password');
    await nextSecond();
    const r2 = await runCli(['--config', ws.configPath]);
    expect(r2.code, r2.stdout + r2.stderr).toBe(1);
    expect(r2.stdout + r2.stderr).toContain(`Rolling skipped: ${B.address} was not fully backed up`);
    expect(archives(ws)).toHaveLength(2);
    expect(archives(ws)).toContain(night1);
    expect(await mailboxesIn(ws)).toEqual(new Set([A.address, B.address]));

    setPassword(ws, 'wrong-password', B.password);
    await nextSecond();
    const r3 = await runCli(['--config', ws.configPath]);
    expect(r3.code, r3.stdout + r3.stderr).toBe(0);
    expect(archives(ws)).toHaveLength(1);
    expect(archives(ws)).not.toContain(night1);
    expect(await mailboxesIn(ws)).toEqual(new Set([A.address, B.address]));
  }, 120_000);

  it('with cleanProcessFolder, a run limited with --mailbox rotates nothing away', async () => {
    const ws = workspace({ archiveToZip: 'True', cleanProcessFolder: 'True', rollingMethod: "'ITEMS'", deleteBackupsItemsToKeep: '1' });
    expect((await runCli(['--config', ws.configPath])).code).toBe(0);
    await nextSecond();
    const r = await runCli(['--config', ws.configPath, '--mailbox', A.address]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Rolling skipped: the run was limited with --mailbox');
    expect(archives(ws)).toHaveLength(2);
    expect(await mailboxesIn(ws)).toEqual(new Set([A.address, B.address]));
  }, 120_000);

  it('with cleanProcessFolder, --mailbox naming every mailbox is a complete run: it rolls', async () => {
    const ws = workspace({ archiveToZip: 'True', cleanProcessFolder: 'True', rollingMethod: "'ITEMS'", deleteBackupsItemsToKeep: '1' });
    for (let night = 0; night < 2; night++) {
      if (night > 0) await nextSecond();
      const r = await runCli(['--config', ws.configPath, '--mailbox', A.address, '--mailbox', B.address]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain('Rolling skipped');
    }
    expect(archives(ws)).toHaveLength(1);
    expect(await mailboxesIn(ws)).toEqual(new Set([A.address, B.address]));
  }, 120_000);

  it('without cleanProcessFolder a failing mailbox does not stop rolling: the new archive still has its earlier files', async () => {
    const ws = workspace({ archiveToZip: 'True', rollingMethod: "'ITEMS'", deleteBackupsItemsToKeep: '1' });
    expect((await runCli(['--config', ws.configPath])).code).toBe(0);
    setPassword(ws, B.password, 'wrong-password');
    await nextSecond();
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(archives(ws)).toHaveLength(1);
    expect(await mailboxesIn(ws)).toEqual(new Set([A.address, B.address]));
  }, 120_000);

  it('archiveToZip False: no archive is made, so none is rotated away', async () => {
    const ws = workspace({ rollingMethod: "'DAYS'", deleteOlderBackupThanDays: '3' });
    const old = [archiveFileName(new Date(2024, 0, 1, 2)), archiveFileName(new Date(2024, 0, 2, 2))];
    fs.mkdirSync(ws.outputFolder, { recursive: true });
    for (const name of old) fs.writeFileSync(path.join(ws.outputFolder, name), 'an old archive');
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('Rolling skipped: archiveToZip is False');
    expect(archives(ws)).toEqual(old);
    const dry = await runCli(['--config', ws.configPath, '--dry-run']);
    expect(dry.stdout).toContain('Rolling skipped: archiveToZip is False');
    expect(dry.stdout).not.toContain('would delete');
  }, 120_000);

  it('an archive dated in the future (a clock set back): nothing is deleted and the run says to check the clock', async () => {
    const ws = workspace({ archiveToZip: 'True', rollingMethod: "'ITEMS'", deleteBackupsItemsToKeep: '1' });
    const future = archiveFileName(new Date(new Date().getFullYear() + 5, 0, 1, 2));
    const yesterday = archiveFileName(new Date(Date.now() - 24 * 60 * 60 * 1000));
    fs.mkdirSync(ws.outputFolder, { recursive: true });
    for (const name of [future, yesterday]) fs.writeFileSync(path.join(ws.outputFolder, name), 'an archive');
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain(`rolling: nothing deleted, ${future} is dated`);
    expect(out).toContain("the computer's clock may be wrong");
    expect(out).toContain('[PARTIAL]');
    expect(archives(ws)).toHaveLength(3);
    expect(archives(ws)).toEqual(expect.arrayContaining([future, yesterday]));
  }, 120_000);
});

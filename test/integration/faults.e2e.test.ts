import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { run } from '../helpers/dovecot-proc.js';
import { makeMessage } from '../helpers/messages.js';
import { allFiles, readTree, writeWorkspace, type Workspace } from '../helpers/setup.js';

const PASS = 'pw-Faults-31337';
const DEAD_PID = 2 ** 22 + 17; // above Linux's pid_max: never a running process
const HOUR = 3_600_000;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let server: DovecotServer;

beforeAll(async () => {
  server = await startDovecot();
  for (const u of ['lock', 'del']) await server.addUser(`${u}@example.org`, PASS);
  await server.seed('lock@example.org', 'INBOX', [{ raw: makeMessage({ subject: 'lock test' }) }]);
  await server.seed('del@example.org', 'INBOX', Array.from({ length: 10 }, (_, i) => ({ raw: makeMessage({ subject: `kept ${i}` }) })));
  await server.seed('del@example.org', 'Projects', [{ raw: makeMessage({ subject: 'project a' }) }, { raw: makeMessage({ subject: 'project b' }) }]);
});

afterAll(async () => {
  await server?.stop();
});

function lockWorkspace(common: string[] = []): { ws: Workspace; lockFile: string; plant(content: string, mtimeAgoMs?: number): void } {
  const ws = writeWorkspace(server, [{ address: 'lock@example.org', password: PASS }], { common });
  const lockFile = path.join(ws.processFolder, '.imap-backup-tool', 'lock');
  return {
    ws,
    lockFile,
    plant(content, mtimeAgoMs = 0) {
      fs.mkdirSync(path.dirname(lockFile), { recursive: true });
      fs.writeFileSync(lockFile, content);
      const t = new Date(Date.now() - mtimeAgoMs);
      fs.utimesSync(lockFile, t, t);
    },
  };
}
const lockOf = (pid: number, ageMs = 0) => JSON.stringify({ host: os.hostname(), pid, since: new Date(Date.now() - ageMs).toISOString() });

describe('the lock', () => {
  it('common.lockStaleHours: a lock older than that is taken over even if its process lives', async () => {
    // This test process is alive: only the age can make its lock stale.
    const patient = lockWorkspace(['lockStaleHours: 3']);
    patient.plant(lockOf(process.pid, 2 * HOUR));
    const held = await runCli(['--config', patient.ws.configPath]);
    expect(held.code, held.stderr).toBe(3);
    expect(held.stderr).toContain(`pid ${process.pid}, since `);
    // The command that removes it, with this configuration (found in review: a bare "imap-backup-tool unlock").
    expect(held.stderr).toContain(`remove it with: imap-backup-tool unlock --config ${patient.ws.configPath}`);
    const hasty = lockWorkspace(['lockStaleHours: 1']);
    hasty.plant(lockOf(process.pid, 2 * HOUR));
    const taken = await runCli(['--config', hasty.ws.configPath]);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toContain(`took over a stale lock (host ${os.hostname()}, pid ${process.pid}`);
    expect(fs.existsSync(hasty.lockFile)).toBe(false);
    const wrong = lockWorkspace(['lockStaleHours: 0']);
    const bad = await runCli(['--config', wrong.ws.configPath]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('common.lockStaleHours: expected a whole number from 1 to 8760');
  });

  it('an unreadable lock younger than 10 s counts as held; an older one is taken over', async () => {
    const l = lockWorkspace();
    l.plant('{"host":"', 1_000);
    const held = await runCli(['--config', l.ws.configPath]);
    expect(held.code, held.stderr).toBe(3);
    expect(held.stderr).toContain('is taking the lock');
    expect(fs.readFileSync(l.lockFile, 'utf8')).toBe('{"host":"');
    l.plant('{"host":"', 60_000);
    const taken = await runCli(['--config', l.ws.configPath]);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toContain('took over a stale lock (unreadable)');
  });

  it('unlock removes the lock and says whose it was; a live run’s lock only with --force', async () => {
    const l = lockWorkspace();
    const none = await runCli(['unlock', '--config', l.ws.configPath]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain(`No lock at ${l.lockFile}: nothing to remove`);
    l.plant(lockOf(DEAD_PID));
    const dead = await runCli(['unlock', '--config', l.ws.configPath]);
    expect(dead.code, dead.stderr).toBe(0);
    expect(dead.stdout).toContain(`Removed the lock ${l.lockFile} (host ${os.hostname()}, pid ${DEAD_PID}, since `);
    expect(fs.existsSync(l.lockFile)).toBe(false);
    // since as the admin's clock shows it, not the file's UTC.
    l.plant(JSON.stringify({ host: os.hostname(), pid: DEAD_PID, since: '2026-11-28T02:00:03.123Z' }));
    const local = await runCli(['unlock', '--config', l.ws.configPath], { env: { TZ: 'Europe/Berlin' } });
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toContain(`pid ${DEAD_PID}, since 2026-11-28 03:00:03 (local time, UTC+01:00))`);
    l.plant(lockOf(process.pid));
    const alive = await runCli(['unlock', '--config', l.ws.configPath]);
    expect(alive.code).toBe(3);
    expect(alive.stderr).toContain('still running here');
    expect(fs.existsSync(l.lockFile)).toBe(true);
    const forced = await runCli(['unlock', '--config', l.ws.configPath, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(`pid ${process.pid}`);
    expect(fs.existsSync(l.lockFile)).toBe(false);
  });

  it('temporary files a killed run left (messages and state) are removed by the next run', async () => {
    const l = lockWorkspace();
    expect((await runCli(['--config', l.ws.configPath])).code).toBe(0);
    const inbox = path.join(l.ws.processFolder, 'lock@example.org', 'INBOX');
    const stateDir = path.join(l.ws.processFolder, '.imap-backup-tool', 'state');
    fs.writeFileSync(path.join(inbox, '.ibt-0123456789ab.tmp'), 'half a message');
    fs.writeFileSync(path.join(stateDir, '.ibt-ba9876543210.tmp'), '{"version":1,"fol');
    await server.append('lock@example.org', 'INBOX', makeMessage({ subject: 'one more' }));
    const r = await runCli(['--config', l.ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(allFiles(l.ws.processFolder).filter((f) => f.includes('.ibt-'))).toEqual([]);
  });
});

describe('messages deleted on the server', () => {
  it('nothing is deleted locally: expunged messages and removed folders stay backed up', async () => {
    const user = 'del@example.org';
    const ws = writeWorkspace(server, [{ address: user, password: PASS, folders: '*' }]);
    expect((await runCli(['--config', ws.configPath])).code).toBe(0);
    const before = readTree(path.join(ws.processFolder, user));
    expect(before.size).toBe(12);
    await server.expunge(user, 'INBOX', [2, 5, 9]);
    await server.expunge(user, 'Projects', [1, 2]);
    await run('doveadm', ['-c', server.confPath, 'mailbox', 'delete', '-u', user, 'Projects']);
    await server.append(user, 'INBOX', makeMessage({ subject: 'arrived later' }));
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 new');
    const after = readTree(path.join(ws.processFolder, user));
    expect(after.size).toBe(13);
    for (const [name, bytes] of before) expect(after.get(name)?.equals(bytes), name).toBe(true);
    // The same after a UIDVALIDITY change on top of the deletions: nothing fetched twice, nothing lost.
    await server.resetUidValidity(user, 'INBOX', { renumber: true });
    const again = await runCli(['--config', ws.configPath]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('0 new');
    expect(new Set(readTree(path.join(ws.processFolder, user)).keys())).toEqual(new Set(after.keys()));
    // A folder still named in the list but gone from the server fails alone; its files stay.
    const listed = writeWorkspace(server, [{ address: user, password: PASS, folders: 'INBOX, Projects' }]);
    fs.cpSync(ws.processFolder, listed.processFolder, { recursive: true });
    const gone = await runCli(['--config', listed.configPath]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('folder "Projects" does not exist on the server');
    expect(readTree(path.join(listed.processFolder, user, 'Projects')).size).toBe(2);
    expect([...readTree(path.join(listed.processFolder, user)).values()].map(sha).sort()).toEqual([...after.values()].map(sha).sort());
  });
});

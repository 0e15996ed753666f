import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runBackup } from '../../src/engine/backup-run.js';
import { loadConfig } from '../../src/io/config-files.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { unescapeSegment } from '../../src/core/restore-names.js';
import { runCli } from '../helpers/cli.js';
import { readTree, writeWorkspace } from '../helpers/setup.js';

/**
 * Two server folders whose names differ only in letter case (`Foo`, `foo`: Dovecot and Cyrus
 * allow it) would be one folder on NTFS and APFS. That is emulated here on Linux with `foo`, made
 * beforehand, a link to `Foo` (what a case-insensitive lookup does). Each holds a message with
 * the same Message-ID, subject, date and size (so the same file name), and other bytes.
 * Found in review: one message replaced the other (in parallel) or passed for it (one after the
 * other), and the run said OK.
 */
const USER = 'case@example.org';
const PASS = 'case-password';
const a = makeMessage({ messageId: '<dup@x>', subject: 'same', body: 'version A\r\n' });
const b = makeMessage({ messageId: '<dup@x>', subject: 'same', body: 'version B\r\n' });
const sha = (x: Buffer) => createHash('sha256').update(x).digest('hex');

let server: DovecotServer;
beforeAll(async () => {
  server = await startDovecot();
  await server.addUser(USER, PASS);
  await server.seed(USER, 'Foo', [{ raw: a }]);
  await server.seed(USER, 'foo', [{ raw: b }]);
}, 60_000);
afterAll(async () => server?.stop());

it.each([['in parallel', 4], ['one after the other', 1]])('folders differing only in case keep both messages on a case-insensitive disk (%s)', async (_, connections) => {
  const ws = writeWorkspace(server, [{ address: USER, password: PASS, folders: '*' }], { common: [`connectionsPerMailbox: ${connections}`] });
  const mailboxDir = path.join(ws.processFolder, USER);
  fs.mkdirSync(path.join(mailboxDir, 'Foo'), { recursive: true });
  fs.symlinkSync('Foo', path.join(mailboxDir, 'foo'));
  const report = await runBackup(loadConfig(ws.configPath));
  const folders = report.mailboxes[0]?.folders ?? [];
  expect(folders.filter((f) => f.folder !== 'INBOX').map((f) => [f.folder, f.error, f.newCount]).sort()).toEqual([['Foo', undefined, 1], ['foo', undefined, 1]]);
  const real = fs.readdirSync(mailboxDir).filter((n) => !fs.lstatSync(path.join(mailboxDir, n)).isSymbolicLink() && n !== 'INBOX');
  // The one kept apart is spelled out (`%66%6F%6F`), and reads back as the server's name.
  expect(real.map((n) => unescapeSegment(n)).sort()).toEqual(['Foo', 'foo']);
  expect(new Set(real.map((n) => n.toLowerCase())).size).toBe(2);
  const saved = new Set(real.flatMap((n) => [...readTree(path.join(mailboxDir, n)).values()].map(sha)));
  expect(saved).toEqual(new Set([sha(a), sha(b)]));
});

it('check names the local folders that run writes: a folder backed up before keeps its name when a case variant appears', async () => {
  const user = 'case2@example.org';
  await server.addUser(user, PASS);
  await server.seed(user, 'foo', [{ raw: b }]);
  const ws = writeWorkspace(server, [{ address: user, password: PASS, folders: '*' }]);
  const first = await runCli(['run', '--config', ws.configPath]);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  // `Foo` sorts before `foo`: without the state's history it would take the plain name.
  await server.seed(user, 'Foo', [{ raw: a }]);
  const second = await runCli(['run', '--config', ws.configPath]);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  const mailboxDir = path.join(ws.processFolder, user);
  const onDisk = fs.readdirSync(mailboxDir).sort();
  expect(onDisk).toEqual(['%46%6F%6F', 'foo']);
  const check = await runCli(['check', '--config', ws.configPath]);
  expect(check.code, check.stdout + check.stderr).toBe(0);
  const shown = [...check.stdout.matchAll(new RegExp(`→  ${user.replace('.', '\\.')}/(\\S+)`, 'g'))].map((m) => m[1]).sort();
  // INBOX is empty on this server: listed by check, no folder made by run.
  expect(shown).toEqual([...onDisk, 'INBOX'].sort());
});

it('restore puts each case variant back into its own server folder, under its exact name', async () => {
  const from = 'case3@example.org';
  const to = 'case4@example.org';
  await server.addUser(from, PASS);
  await server.addUser(to, PASS);
  await server.seed(from, 'Foo', [{ raw: a }]);
  await server.seed(from, 'foo', [{ raw: b }]);
  await server.seed(from, 'foo/Bar', [{ raw: b }]);
  await server.seed(from, 'Foo/Bar', [{ raw: a }]);
  const ws = writeWorkspace(server, [{ address: from, password: PASS, folders: '*' }, { address: to, password: PASS, folders: '*' }]);
  const backup = await runCli(['run', '--config', ws.configPath, '--mailbox', from]);
  expect(backup.code, backup.stdout + backup.stderr).toBe(0);
  // Found in review: the folder kept apart came back as a new server folder named `foo%~0beec7b5`.
  const r = await runCli(['restore', '--config', ws.configPath, '--from', ws.processFolder, '--mailbox-from', from, '--to', to]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  for (const [folder, raw] of [['Foo', a], ['foo', b], ['Foo/Bar', a], ['foo/Bar', b]] as const) {
    const got = [...(await server.fetchRaw(to, PASS, folder)).values()];
    expect(got.map(sha), folder).toEqual([sha(raw)]);
  }
});

it('restore --folder foo into a mailbox that has Foo but lost foo: foo is made again, Foo is left as it was', async () => {
  const from = 'case5@example.org';
  const to = 'case6@example.org';
  await server.addUser(from, PASS);
  await server.addUser(to, PASS);
  await server.seed(from, 'Foo', [{ raw: a }]);
  await server.seed(from, 'foo', [{ raw: b }]);
  await server.seed(to, 'Foo', [{ raw: a }]);
  const ws = writeWorkspace(server, [{ address: from, password: PASS, folders: '*' }, { address: to, password: PASS, folders: '*' }]);
  const backup = await runCli(['run', '--config', ws.configPath, '--mailbox', from]);
  expect(backup.code, backup.stdout + backup.stderr).toBe(0);
  // Found in review: foo's mail went into Foo (matched ignoring case), and no foo was made.
  const r = await runCli(['restore', '--config', ws.configPath, '--from', ws.processFolder, '--mailbox-from', from, '--to', to, '--folder', 'foo']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect([...(await server.fetchRaw(to, PASS, 'foo')).values()].map(sha)).toEqual([sha(b)]);
  expect([...(await server.fetchRaw(to, PASS, 'Foo')).values()].map(sha)).toEqual([sha(a)]);
});

it('restore makes Sent when the target has only a folder below another that is named Sent (not a role the server gave)', async () => {
  const from = 'sent1@example.org';
  const to = 'sent2@example.org';
  await server.addUser(from, PASS);
  await server.addUser(to, PASS);
  await server.seed(from, 'Sent', [{ raw: a }]);
  await server.seed(to, 'Restored/Sent', [{ raw: b }]);
  const ws = writeWorkspace(server, [{ address: from, password: PASS, folders: '*' }, { address: to, password: PASS, folders: '*' }]);
  const backup = await runCli(['run', '--config', ws.configPath, '--mailbox', from]);
  expect(backup.code, backup.stdout + backup.stderr).toBe(0);
  // Found in review: `Sent → Restored/Sent`, and no Sent was made.
  const r = await runCli(['restore', '--config', ws.configPath, '--from', ws.processFolder, '--mailbox-from', from, '--to', to, '--folder', 'Sent']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect([...(await server.fetchRaw(to, PASS, 'Sent')).values()].map(sha)).toEqual([sha(a)]);
  expect([...(await server.fetchRaw(to, PASS, 'Restored/Sent')).values()].map(sha)).toEqual([sha(b)]);
});

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segment1Of } from '../../src/core/naming.js';
import { formatBytes } from '../../src/core/summary.js';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeLargeMessage, makeMessage } from '../helpers/messages.js';
import { readTree, writeWorkspace, type Workspace } from '../helpers/setup.js';

const USER = 'office@contoso.com';
const PASS = 'Sup3r-S3cret-pw';
const REALMAIL = path.resolve(__dirname, '../../../shared/testdata/realmail/msgs');
const names_of = (files: Map<string, Buffer>) => [...files.keys()].map((n) => path.basename(n));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: DovecotServer;
let ws: Workspace;

const inbox = [
  makeMessage({ messageId: '<1@a>', subject: 'Re: M3 Forecast' }),
  makeMessage({ messageId: '<1@b>', subject: 'Same local part, other domain' }),
  makeMessage({ subject: '=?UTF-8?B?WmHFvMOzxYLEhyBnxJnFm2zEhSBqYcW6xYQ=?=', date: '28 Mar 2022 18:35:17 GMT' }),
  makeMessage({ subject: '=?iso-8859-2?Q?Pozdrowienia_z_=A3odzi?= =?utf-8?Q?_i_=F0=9F=98=80?=', date: 'Tue, 29 Mar 2022 08:00:00 +0200 (CEST)' }),
  makeMessage({ messageId: null, subject: 'no id one', from: 'x@example.org' }),
  makeMessage({ messageId: null, subject: 'no id two', from: 'y@example.org' }),
  makeMessage({ messageId: '<dup@example.org>', subject: 'first copy' }),
  makeMessage({ messageId: '<dup@example.org>', subject: 'second copy' }),
  makeMessage({ date: null, subject: 'no date' }),
  makeMessage({ date: 'yesterday around noon', subject: 'bad date' }),
  makeMessage({ subject: 'CON: a\\b/c <x> "y" | z? * ../../etc/passwd and a very long subject indeed' }),
  Buffer.from('Subject: raw 8-bit Grüße\r\nMessage-ID: <raw8@example.org>\r\nDate: Wed, 30 Mar 2022 10:00:00 +0000\r\n\r\nbody\r\n', 'utf8'),
];

beforeAll(async () => {
  server = await startDovecot();
  await server.addUser(USER, PASS);
  await server.addUser('second@contoso.com', PASS);
  await server.addUser('third@contoso.com', PASS);
  await server.seed(USER, 'INBOX', inbox.map((raw) => ({ raw })));
  await server.seed(USER, 'Sent Items', [{ raw: makeMessage({ subject: 'sent one' }) }]);
  // The same message stored twice (byte for byte): backed up once.
  const archived = makeMessage({ subject: 'archived' });
  await server.seed(USER, 'Archive/2023', [{ raw: archived }, { raw: archived }]);
  await server.seed(USER, 'Grüße', [{ raw: makeMessage({ subject: 'non-ascii folder' }) }, { raw: makeLargeMessage(20 * 1024 * 1024, '<large@example.org>') }]);
  await server.seed(USER, 'Realmail', fs.readdirSync(REALMAIL).sort().map((f) => ({ raw: fs.readFileSync(path.join(REALMAIL, f)) })));
  await server.seed('second@contoso.com', 'INBOX', [{ raw: makeMessage({ subject: 'second mailbox' }) }]);
  await server.seed('third@contoso.com', 'INBOX', [{ raw: makeMessage({ subject: 'third mailbox' }) }]);
  ws = writeWorkspace(server, [{ address: USER, password: PASS, folders: 'INBOX, SENT, Archive/2023, Grüße, Realmail' }]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/** Each folder's files against the server's own bytes: every file is a server message, byte for byte. */
async function expectMirrors(folder: string, local: string): Promise<Map<string, Buffer>> {
  const onServer = await server.fetchRaw(USER, PASS, folder);
  const files = readTree(path.join(ws.processFolder, USER, local));
  const serverHashes = new Set([...onServer.values()].map(sha));
  const fileHashes = new Set([...files.values()].map(sha));
  // Nothing lost: every distinct message on the server is a file.
  for (const h of serverHashes) expect(fileHashes.has(h), `server message ${h} is backed up`).toBe(true);
  for (const [name, bytes] of files) {
    expect(serverHashes.has(sha(bytes)), `${name} equals a message on the server`).toBe(true);
    expect(segment1Of(path.basename(name)), `${name} has a segment1`).toMatch(/^[0-9a-f]{32}$/);
  }
  return files;
}

describe('backing up with the original tool configuration', () => {
  it('first run downloads every message, byte-identical, under safe names', async () => {
    const before = await server.stats(USER);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    const inboxFiles = await expectMirrors('INBOX', 'INBOX');
    // Two different messages sharing a Message-ID are both kept (the original dropped one).
    expect(inboxFiles.size).toBe(12);
    expect(names_of(inboxFiles).filter((n) => n.startsWith(createHash('md5').update('<dup@example.org>').digest('hex')))).toHaveLength(2);
    const names = [...inboxFiles.keys()].map((n) => path.basename(n));
    expect(names).toContain(`${createHash('md5').update('<1@a>').digest('hex')}__Re M3 Forecast__28-Mar-2022-183517.eml`);
    expect(names).toContain(`${createHash('md5').update('<1@b>').digest('hex')}__Same local part othe__28-Mar-2022-183517.eml`);
    expect(names.some((n) => n.includes('__Zażółć gęślą jaźń__28-Mar-2022-183517.eml'))).toBe(true);
    expect(names.some((n) => n.includes('__raw 8-bit Grüße__30-Mar-2022-100000.eml'))).toBe(true);
    for (const n of names) expect(n).toMatch(/^[0-9a-f]{32}__[^\\/:*?"<>|;{}`+,=~]*__\d\d-[A-Z][a-z]{2}-\d{4}-\d{6}\.eml$/);
    expect((await expectMirrors('Sent Items', 'SENT')).size).toBe(1);
    expect((await expectMirrors('Archive/2023', 'Archive/2023')).size).toBe(1);
    expect(r.stdout).toContain('1 stored twice on the server (same Message-ID and size), saved once');
    const grusse = await expectMirrors('Grüße', 'Grüße');
    expect(grusse.size).toBe(2);
    expect(Math.max(...[...grusse.values()].map((b) => b.length))).toBeGreaterThan(20 * 1024 * 1024);
    // Folders with nothing on disk are read in one FETCH each, the messages named from their own
    // bytes: header fields are fetched only for the one message large enough to be streamed.
    const after = await server.stats(USER);
    expect(after.fetchHdrCount - before.fetchHdrCount).toBe(1);
    const real = await expectMirrors('Realmail', 'Realmail');
    // 290 distinct messages, 27 of them sharing a Message-ID with another: all 290 kept.
    expect(real.size).toBe(fs.readdirSync(REALMAIL).length);
    // The bytes reported are the bytes written (a message's Buffer is freed once it is on disk).
    const realBytes = [...real.values()].reduce((n, b) => n + b.length, 0);
    expect(r.stdout).toContain(`Realmail: ${real.size} new, 0 present, ${formatBytes(realBytes)} in`);
    // The log exists, carries the summary, and never the password.
    const logs = fs.readdirSync(ws.logsFolder);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^mailbackup-\d{4}-\d\d-\d\d_\d{6}\.log$/);
    const log = fs.readFileSync(path.join(ws.logsFolder, logs[0] as string), 'utf8');
    expect(log).toContain('[OK]');
    expect(log + r.stdout + r.stderr).not.toContain(PASS);
  }, 180_000);

  it('second run downloads nothing and fetches no bodies', async () => {
    const before = await server.stats(USER);
    const files = readTree(ws.processFolder).size;
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('[OK] 1 mailbox, 0 new');
    const after = await server.stats(USER);
    expect(after.fetchBodyCount - before.fetchBodyCount).toBe(0);
    expect(after.fetchHdrCount - before.fetchHdrCount).toBe(0);
    expect(readTree(ws.processFolder).size).toBe(files);
  });

  it('after new mail arrives, only the new message is fetched', async () => {
    await server.append(USER, 'INBOX', makeMessage({ messageId: '<new@example.org>', subject: 'brand new' }));
    const before = await server.stats(USER);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('1 new');
    const after = await server.stats(USER);
    expect(after.fetchBodyCount - before.fetchBodyCount).toBe(1);
    expect(readTree(path.join(ws.processFolder, USER, 'INBOX')).size).toBe(13);
  });

  it('a UIDVALIDITY reset causes no duplicates and no downloads', async () => {
    await server.resetUidValidity(USER, 'INBOX', { renumber: true });
    const before = await server.stats(USER);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stdout).toBe(0);
    const after = await server.stats(USER);
    expect(after.fetchBodyCount - before.fetchBodyCount).toBe(0);
    expect(readTree(path.join(ws.processFolder, USER, 'INBOX')).size).toBe(13);
  });

  it('--dry-run says what it would download and writes nothing', async () => {
    await server.append(USER, 'INBOX', makeMessage({ subject: 'not yet' }));
    const filesBefore = readTree(ws.processFolder).size;
    const logsBefore = fs.readdirSync(ws.logsFolder).length;
    const r = await runCli(['--config', ws.configPath, '--dry-run']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('would download 1');
    expect(readTree(ws.processFolder).size).toBe(filesBefore);
    expect(fs.readdirSync(ws.logsFolder).length).toBe(logsBefore);
  });
});

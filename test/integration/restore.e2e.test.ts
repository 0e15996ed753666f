import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { readTree, writeWorkspace, type Workspace } from '../helpers/setup.js';

const A = 'alice@contoso.com';
const B = 'bob@contoso.com';
const C = 'carol@contoso.com';
const D = 'dave@contoso.com';
const E = 'erin@contoso.com';
const PASS = 'Restore-pw-31';
const REALMAIL = path.resolve(__dirname, '../../../shared/testdata/realmail/msgs');
const NO_DATE_INTERNAL = new Date('2021-04-05T07:15:02Z');

let server: DovecotServer;
let ws: Workspace;
/** The archive of the first run: alice's backup only. */
let archive: string;

beforeAll(async () => {
  server = await startDovecot();
  for (const u of [A, B, C, D, E]) await server.addUser(u, PASS);
  await server.seed(A, 'INBOX', [
    { raw: makeMessage({ messageId: '<1@a>', subject: 'Re: M3 Forecast' }) },
    { raw: makeMessage({ messageId: null, subject: 'no id one', from: 'x@example.org' }) },
    { raw: makeMessage({ messageId: null, subject: 'no id two', from: 'y@example.org' }) },
    { raw: makeMessage({ messageId: '<dup@example.org>', subject: 'first copy' }) },
    { raw: makeMessage({ messageId: '<dup@example.org>', subject: 'second copy' }) },
    // Same Message-ID, subject and date, different bodies: one file gets a __2 suffix.
    { raw: makeMessage({ messageId: '<twin@example.org>', subject: 'twin', body: 'one\r\n' }) },
    { raw: makeMessage({ messageId: '<twin@example.org>', subject: 'twin', body: 'other body\r\n' }) },
    { raw: makeMessage({ date: null, messageId: null, subject: 'no date' }), internalDate: NO_DATE_INTERNAL },
    { raw: makeMessage({ date: 'yesterday around noon', subject: 'bad date' }), internalDate: NO_DATE_INTERNAL },
    { raw: Buffer.from('Subject: raw 8-bit Grüße\r\nMessage-ID: <raw8@example.org>\r\nDate: Wed, 30 Mar 2022 10:00:00 +0000\r\n\r\nbody\r\n', 'utf8') },
  ]);
  await server.seed(A, 'Projects', [{ raw: makeMessage({ subject: 'parent folder' }) }]);
  await server.seed(A, 'Projects/Alpha', [{ raw: makeMessage({ subject: 'nested one' }) }, { raw: makeMessage({ subject: 'nested two' }) }]);
  await server.seed(A, 'Grüße', [{ raw: makeMessage({ subject: 'Grüße aus Łódź' }) }]);
  await server.seed(A, 'Q1: Plans', [{ raw: makeMessage({ subject: 'escaped folder name' }) }]);
  await server.seed(A, 'Sent Items', [{ raw: makeMessage({ subject: 'sent one' }) }]);
  await server.seed(A, 'Realmail', fs.readdirSync(REALMAIL).sort().map((f) => ({ raw: fs.readFileSync(path.join(REALMAIL, f)) })));
  ws = writeWorkspace(server, [A, B, C, D, E].map((address) => ({ address, password: PASS, folders: '*' })));
  fs.writeFileSync(ws.configPath, fs.readFileSync(ws.configPath, 'utf8').replace('archiveToZip: False', 'archiveToZip: True'));
  const r = await runCli(['--config', ws.configPath, '--mailbox', A]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const zips = fs.readdirSync(ws.outputFolder).filter((n) => n.endsWith('.zip'));
  expect(zips).toHaveLength(1);
  archive = path.join(ws.outputFolder, zips[0] as string);
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

const tree = (mailbox: string) => new Map([...readTree(path.join(ws.processFolder, mailbox))].map(([k, v]) => [k.split(path.sep).join('/'), v]));
/** Messages the server stored for a user (APPEND), from its mail_log lines. */
const appends = async (user: string) => (await server.logText()).split('\n').filter((l) => l.includes(`imap(${user})`) && l.includes(': save: ')).length;

/**
 * The .eml files of two mailboxes, name → bytes, are the same. One real-world message ends in a
 * bare CR, which Dovecot drops on APPEND (it stores line ends as LF): the only difference allowed.
 */
function expectSameFiles(a: Map<string, Buffer>, b: Map<string, Buffer>): void {
  expect(new Set(b.keys())).toEqual(new Set(a.keys()));
  const trimmed: string[] = [];
  for (const [name, bytes] of b) {
    const original = a.get(name) as Buffer;
    if (bytes.equals(original)) continue;
    expect(original.subarray(-2).toString('latin1'), name).toMatch(/[^\r\n]\r$|\n\r$/);
    expect(bytes.equals(original.subarray(0, -1)), name).toBe(true);
    trimmed.push(name);
  }
  expect(trimmed.length).toBeLessThanOrEqual(1);
}
const restore = (...args: string[]) => runCli(['restore', '--config', ws.configPath, ...args], { timeoutMs: 180_000 });

/** Folder → INTERNALDATE and flags of each message, straight from the server. */
async function messages(user: string, folder: string): Promise<{ subject: string; internalDate: Date; flags: Set<string> }[]> {
  const client = new ImapFlow({ host: server.host, port: server.imapsPort, secure: true, logger: false, auth: { user, pass: PASS }, tls: { ca: server.certPem } });
  await client.connect();
  const out: { subject: string; internalDate: Date; flags: Set<string> }[] = [];
  try {
    await client.mailboxOpen(folder, { readOnly: true });
    for await (const m of client.fetch('1:*', { envelope: true, internalDate: true, flags: true })) {
      out.push({ subject: m.envelope?.subject ?? '', internalDate: new Date(m.internalDate ?? 0), flags: m.flags ?? new Set() });
    }
  } finally {
    await client.logout();
  }
  return out;
}

describe('restore', () => {
  it('restores a backup into an empty mailbox, and backing that up gives byte-identical files', async () => {
    const r = await restore('--from', ws.processFolder, '--mailbox-from', A, '--to', B);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[OK\] restore to bob@contoso\.com: 7 folders, 306 uploaded/);
    expect(await appends(B)).toBe(306);
    if (process.env.SHOW_RESTORE) console.log(r.stdout);
    const backup = await runCli(['--config', ws.configPath, '--mailbox', B]);
    expect(backup.code, backup.stdout).toBe(0);
    const a = tree(A);
    expect(a.size).toBe(306);
    expectSameFiles(a, tree(B));
    expect([...a.keys()].some((k) => k.startsWith('Q1%3A Plans/'))).toBe(true);
    expect([...a.keys()].filter((k) => /__twin__.*__2\.eml$/.test(k))).toHaveLength(1);
    // \Seen, and INTERNALDATE from the Date header or, without one, the original's.
    const inbox = await messages(B, 'INBOX');
    expect(inbox.every((m) => m.flags.has('\\Seen'))).toBe(true);
    expect(inbox.find((m) => m.subject === 'no date')?.internalDate.toISOString()).toBe(NO_DATE_INTERNAL.toISOString());
    expect(inbox.find((m) => m.subject === 'Re: M3 Forecast')?.internalDate.toISOString()).toBe('2022-03-28T16:35:17.000Z');
  }, 180_000);

  it('a rerun uploads nothing', async () => {
    const before = await appends(B);
    const r = await restore('--from', ws.processFolder, '--mailbox-from', A, '--to', B);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('0 uploaded');
    expect(r.stdout).toContain('306 already there');
    expect(await appends(B)).toBe(before);
  }, 120_000);

  it('restoring from the run\'s archive gives the same, and its rerun uploads nothing', async () => {
    const zip = archive;
    const r = await restore('--from', zip, '--mailbox-from', A, '--to', C);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await runCli(['--config', ws.configPath, '--mailbox', C])).code).toBe(0);
    expectSameFiles(tree(A), tree(C));
    const before = await appends(C);
    expect(before).toBe(306);
    const again = await restore('--from', zip, '--mailbox-from', A, '--to', C);
    expect(again.code).toBe(0);
    expect(await appends(C)).toBe(before);
  }, 180_000);

  it('--dry-run changes nothing; --folder and --into restore one subtree below a prefix', async () => {
    // The mailbox's own folder as --from, and the address in another letter case.
    const dry = await restore('--from', path.join(ws.processFolder, A), '--mailbox-from', A.toUpperCase(), '--to', D, '--dry-run');
    expect(dry.code, dry.stdout).toBe(0);
    expect(dry.stdout).toContain('306 would be uploaded');
    expect(await appends(D)).toBe(0);
    const two = await restore('--from', ws.processFolder, '--mailbox-from', A, '--to', D, '--dry-run', '--folder', 'grüße', '--folder=Q1: Plans');
    expect(two.stdout).toContain('[OK] restore to dave@contoso.com: 2 folders, 2 would be uploaded');
    const r = await restore('--from', ws.processFolder, '--mailbox-from', A, '--to', D, '--folder', 'Projects/*', '--into', 'Restored');
    expect(r.code, r.stdout).toBe(0);
    expect((await messages(D, 'Restored/Projects')).map((m) => m.subject)).toEqual(['parent folder']);
    expect((await messages(D, 'Restored/Projects/Alpha')).map((m) => m.subject).sort()).toEqual(['nested one', 'nested two']);
    const status = await server.status(D, 'INBOX');
    expect(status['messages']).toBe('0');
  }, 120_000);

  it('Ctrl+C stops after the message in flight (exit 130); a rerun uploads the rest, none twice', async () => {
    const args = [CLI, 'restore', '--config', ws.configPath, '--from', ws.processFolder, '--mailbox-from', A, '--to', E, '--folder', 'Realmail', '--verbose'];
    const child = spawn(process.execPath, args, { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let uploaded = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (/uploaded .*\.eml/.test(out) && uploaded++ === 0) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).toBe(130);
    const partial = Number((await server.status(E, 'Realmail'))['messages']);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(290);
    const r = await restore('--from', ws.processFolder, '--mailbox-from', A, '--to', E, '--folder', 'Realmail');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`${290 - partial} uploaded`);
    expect((await server.status(E, 'Realmail'))['messages']).toBe('290');
  }, 120_000);

  it('mistakes get exit 2 and the advice', async () => {
    const notListed = await restore('--from', ws.processFolder, '--to', 'eve@contoso.com');
    expect(notListed.code).toBe(2);
    expect(notListed.stdout + notListed.stderr).toContain('eve@contoso.com is not in');
    const missing = await restore('--from', path.join(ws.dir, 'nope.zip'), '--to', B);
    expect(missing.code).toBe(2);
    expect(missing.stdout + missing.stderr).toContain('does not exist');
    const whose = await restore('--from', ws.processFolder, '--to', D);
    expect(whose.code).toBe(2);
    expect(whose.stdout + whose.stderr).toMatch(/holds no backup of dave@contoso\.com; it holds .*alice@contoso\.com.*--mailbox-from/);
    const folder = await restore('--from', ws.processFolder, '--mailbox-from', A, '--to', D, '--folder', 'Nope');
    expect(folder.code).toBe(2);
    expect(folder.stdout + folder.stderr).toContain('matches no folder');
    // A misspelled --folder beside a good one (found in review: restored the good one, said OK).
    const oneWrong = await restore('--from', ws.processFolder, '--mailbox-from', A, '--to', D, '--folder', 'INBOX', '--folder', 'Nope', '--dry-run');
    expect(oneWrong.code).toBe(2);
    expect(oneWrong.stdout + oneWrong.stderr).toContain('--folder Nope matches no folder');
  }, 60_000);
});

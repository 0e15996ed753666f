import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFolderPath } from '../../src/core/local-path.js';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { readTree, writeWorkspace, type Workspace } from '../helpers/setup.js';
import { setKeys, snapshot } from '../helpers/faults.js';

// Malformed and hostile messages and folder names: byte-exact copies under safe names, nothing outside the process folder.
const USER = 'hostile@example.org';
const PASS = 'pw-Hostile-666';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const raw = (text: string) => Buffer.from(text, 'latin1');
const id = (n: number) => `<hostile-${n}@example.org>`;
const SUBJECTS = ['../../etc/passwd', 'CON', 'aux.txt', 'a\\b/c', '😀'.repeat(500), '..', '.', 'trailing dot.', 'nul', 'COM1.txt', '\u202Egnp.exe', '%2e%2e%2f..%5c', 'C:\\Windows\\System32', 'tab\tbell\x07esc\x1b', '  '];

const MESSAGES: Buffer[] = [
  raw('\r\nNo header at all, only a body.\r\n'),
  raw('not a header line, and no blank line either'),
  raw(`Subject: caf\xe9 \xff\xfe na\xefve\r\nFrom: J\xf6rg <j@example.org>\r\nMessage-ID: <8bit-\xe9@example.org>\r\nDate: Mon, 28 Mar 2022 18:35:17 +0200\r\n\r\n8-bit header bytes\r\n`),
  raw(`Subject: =?x-unknown?Q?abc?= =?utf-8?B?####?= =?utf-8?Q?=ZZ=?= =?utf-8?X?abc?= =?utf-8?Q?unterminated\r\nMessage-ID: ${id(1)}\r\nDate: 99 Foo 99999 99:99:99 +9999\r\n\r\ninvalid encoded-words, charset and date\r\n`),
  raw(`Subject: =?utf-7?B?K0FPUUEt?= =?gb2312?B?xOO6ww==?= =?iso-2022-jp?B?GyRCJEokPBsoQg==?=\r\nMessage-ID: ${id(2)}\r\n\r\nrare charsets\r\n`),
  makeMessage({ messageId: id(3), subject: 'a 2 MB header block', extraHeaders: Array.from({ length: 2048 }, (_, i) => `X-Filler-${i}: ${'h'.repeat(1000)}`) }),
  raw(`Subject: nul\0inside\r\nMessage-ID: ${id(4)}\r\n\r\nbody with \0 NUL \0 bytes\r\n`),
  makeMessage({ messageId: id(5), subject: 'a line of 1 MB', body: `${'L'.repeat(1024 * 1024)}\r\n` }),
  raw(`Subject: ${'S'.repeat(1024 * 1024)}\r\nMessage-ID: ${id(6)}\r\n\r\na subject of 1 MB on one line\r\n`),
  makeMessage({ messageId: '<../../../etc/passwd>', subject: 'hostile message-id' }),
  makeMessage({ messageId: `<${'m'.repeat(100_000)}@example.org>`, subject: 'a message-id of 100 kB' }),
  makeMessage({ messageId: '', subject: 'empty message-id' }),
  ...SUBJECTS.map((subject, i) => makeMessage({ messageId: id(100 + i), subject })),
];

const FOLDERS = ['a/b/c', 'back\\slash', '..', '.', 'x/../y', 'up/..', 'trail.', 'trail ', ' lead', 'CON', 'aux.txt', 'nul', 'COM1', 'x'.repeat(300), 'w'.repeat(250), 'ctl\x01char',
  `${'y'.repeat(150)}/${'z'.repeat(150)}`, 'per%cent', '%2e%2e', 'colon:name', 'q?mark', 'pipe|', 'lt<gt>', 'quote"', '~tilde', 'ümlaut', '📁 emoji', 'a//b', 'star*', 'pct%'];

let server: DovecotServer;
const accepted: string[] = [];
const refused: string[] = [];

beforeAll(async () => {
  server = await startDovecot();
  await server.addUser(USER, PASS);
  await server.seed(USER, 'INBOX', MESSAGES.map((m) => ({ raw: m })));
  for (const [i, folder] of FOLDERS.entries()) {
    try {
      await server.createFolder(USER, folder);
      const message = makeMessage({ messageId: `<folder-${i}@example.org>`, subject: `in folder ${i}` });
      // seed() writes into the folder's directory, which doveadm cannot name for some of these; IMAP APPEND can.
      await server.seed(USER, folder, [{ raw: message }]).catch(() => server.append(USER, folder, message));
      accepted.push(folder);
    } catch (err) {
      refused.push(`${JSON.stringify(folder)} (${String(err).split('\n').pop()?.slice(0, 100)})`);
    }
  }
  console.log(`Dovecot accepted ${accepted.length} folder names: ${accepted.map((f) => JSON.stringify(f.length > 40 ? `${f.slice(0, 12)}…(${f.length})` : f)).join(', ')}\nrefused ${refused.length}: ${refused.join('; ')}`);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/** The process folder 7 levels deep, so that even a `../../..` escape would land inside the workspace and be seen. */
function workspace(): Workspace {
  const ws = writeWorkspace(server, [{ address: USER, password: PASS, folders: '*' }]);
  setKeys(ws.configPath, { processFolderFullPath: "'deep/1/2/3/4/5/process'" });
  return { ...ws, processFolder: path.join(ws.dir, 'deep/1/2/3/4/5/process') };
}

const SAFE_NAME = /^[0-9a-f]{32}__[^\\/:*?"<>|;{}`+,=~\u0000-\u001f\u007f-\u009f\u202a-\u202e]*__\d\d-[A-Z][a-z]{2}-\d{4}-\d{6}(__\d+)?\.eml$/;
const SAFE_SEGMENT = /^[^\\/:*?"<>|\u0000-\u001f]+$/;
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)( *\.|$)/i;

describe('hostile input', () => {
  it('every malformed message is backed up byte for byte under a safe name, once', async () => {
    const ws = workspace();
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
    const onServer = await server.fetchRaw(USER, PASS, 'INBOX');
    expect(onServer.size).toBe(MESSAGES.length);
    const files = readTree(path.join(ws.processFolder, USER, 'INBOX'));
    expect([...files.keys()].every((f) => !f.includes(path.sep))).toBe(true);
    expect(new Set([...files.values()].map(sha))).toEqual(new Set([...onServer.values()].map(sha)));
    expect(files.size).toBe(onServer.size);
    for (const name of files.keys()) {
      expect(name, name).toMatch(SAFE_NAME);
      expect(Buffer.byteLength(name), name).toBeLessThanOrEqual(255);
    }
    const again = await runCli(['--config', ws.configPath]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('0 new');
    expect(readTree(path.join(ws.processFolder, USER, 'INBOX')).size).toBe(files.size);
  }, 120_000);

  it('hostile folder names map to safe, distinct local folders, and nothing is written outside the process, logs and output folders', async () => {
    const ws = workspace();
    const before = snapshot(ws.dir);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
    const mailboxDir = path.join(ws.processFolder, USER);
    const locals = new Map<string, string>();
    for (const folder of accepted) {
      const local = localFolderPath(folder, '/');
      for (const seg of local) {
        expect(seg, folder).toMatch(SAFE_SEGMENT);
        expect(seg, folder).not.toMatch(RESERVED);
        expect(['.', '..'], folder).not.toContain(seg);
        expect(seg, folder).not.toMatch(/[. ]$/);
      }
      const dir = path.join(mailboxDir, ...local);
      expect(path.relative(mailboxDir, dir).split(path.sep)).not.toContain('..');
      expect(locals.has(dir), `${folder} and ${locals.get(dir)} share ${dir}`).toBe(false);
      locals.set(dir, folder);
      // Its own message, and only that.
      const expected = [...(await server.fetchRaw(USER, PASS, folder)).values()].map(sha);
      const got = readTree(dir);
      expect([...got.keys()].filter((f) => !f.includes(path.sep)).map((f) => sha(got.get(f) as Buffer)), folder).toEqual(expected);
    }
    const rel = (p: string) => path.relative(ws.dir, p);
    const allowed = [ws.processFolder, ws.logsFolder, ws.outputFolder].map(rel);
    const added = [...snapshot(ws.dir)].filter((f) => !before.has(f));
    for (const f of added) {
      const inside = allowed.some((a) => f === `${a}/` || f.startsWith(`${a}/`)) || allowed.some((a) => a.startsWith(f));
      expect(inside, `${f} was written outside the process, logs and output folders`).toBe(true);
    }
    // Inside the process folder: the state, and .eml files in the expected folders only.
    const emlDirs = new Set(added.filter((f) => f.endsWith('.eml')).map((f) => path.join(ws.dir, path.dirname(f))));
    expect([...emlDirs].filter((d) => !locals.has(d) && d !== path.join(mailboxDir, 'INBOX'))).toEqual([]);
    expect(added.filter((f) => !f.endsWith('/') && !f.endsWith('.eml') && !f.includes('.imap-backup-tool/') && !f.startsWith(allowed[1] as string))).toEqual([]);
  }, 120_000);
});

describe('hostile configuration through the CLI', () => {
  const cases: [string, string][] = [
    ['an alias bomb', `a: &a [x,x,x,x,x,x,x,x,x]\n${Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n')}\ncommon: *i\n`],
    ['nesting 100,000 deep', `common: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`],
    ['binary data', '\0\x01\x02\xff\xfe'],
    ['a 5 MB file', `# ${'x'.repeat(5 * 1024 * 1024)}\n`],
    ['a !!js/function tag', "common: !!js/function 'function () { process.exit(9) }'\nstorage: {}\n"],
  ];
  it.each(cases)('%s: exit 2 with the file named, no stack trace, in time', async (_name, text) => {
    const ws = writeWorkspace(server, [{ address: USER, password: PASS }]);
    fs.writeFileSync(ws.configPath, Buffer.from(text, 'latin1'));
    const r = await runCli(['--config', ws.configPath, '--verbose'], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${ws.configPath}: `);
    expect(r.stderr).not.toMatch(/\n\s+at |Warning/);
    expect(r.ms).toBeLessThan(10_000);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../../src/core/config-types.js';
import { emlFileName, segment1 } from '../../src/core/naming.js';
import { ImapSource, metaOfBody } from '../../src/io/imap-source.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';

// A folder with nothing on disk is downloaded in one FETCH and each message named from its own
// bytes. The names must be those the header FETCH gives, or a later run (which plans by headers)
// would not recognise the files: checked here against what Dovecot itself answers.
const REALMAIL = path.resolve(__dirname, '../../../shared/testdata/realmail/msgs');
const USER = 'names@example.org';
const PASS = 'names-pw';
let server: DovecotServer;
let source: ImapSource;

const edge = [
  Buffer.from('Subject: LF only\nMessage-ID: <lf@x>\nDate: Tue, 1 Mar 2022 10:00:00 +0000\n\nbody\n'),
  Buffer.from('Subject: no empty line at all\r\nMessage-ID: <noblank@x>'),
  Buffer.from('\r\nSubject: only in the body\r\n'),
  Buffer.from('Subject: a\n\r\nSubject: after a CRLF empty line\r\n'),
  Buffer.concat([Buffer.from('X-Latin1: caf'), Buffer.from([0xe9]), Buffer.from('\r\nSubject: Grüße aus Köln\r\nMessage-ID: <8bit@x>\r\n\r\nx', 'utf8')]),
  Buffer.from('Subject: one\r\n two\r\nSUBJECT: second\r\nmessage-id : <spaced@x>\r\nX-Subject: not this\r\n\r\nb'),
  Buffer.from('not a header line\r\nSubject: after junk\r\n\r\nb'),
  makeMessage({ messageId: null, subject: 'no id', from: 'x@example.org' }),
  makeMessage({ messageId: '<\r\n folded@x>', subject: '=?UTF-8?B?WmHFvMOzxYLEhyBnxJnFm2zEhSBqYcW6xYQ=?=' }),
  makeMessage({ date: null, subject: 'no date' }),
  Buffer.from('Subject: with a NUL \u0000 inside\r\nMessage-ID: <nul@x>\r\n\r\nb', 'latin1'),
  Buffer.from('Subject: a bare \r in the middle\r\nMessage-ID: <cr@x>\r\n\r\nb', 'latin1'),
  Buffer.from(`X-Long: ${'x'.repeat(20_000)}\r\nSubject: after a 20 KB line\r\nMessage-ID: <long@x>\r\n\r\nb`),
  Buffer.from(' leading continuation\r\nSubject: after it\r\nMessage-ID: <lead@x>\r\n\r\nb'),
  Buffer.from('Subject\xa0: no-break space before the colon\r\nSubject: the real one\r\nMessage-ID: <nbsp@x>\r\n\r\nb', 'latin1'),
  Buffer.from('Subject\t : tab and space before the colon\r\nMessage-ID: <tab@x>\r\n\r\nb'),
];

beforeAll(async () => {
  server = await startDovecot();
  await server.addUser(USER, PASS);
  await server.seed(USER, 'INBOX', [...edge, ...fs.readdirSync(REALMAIL).sort().map((f) => fs.readFileSync(path.join(REALMAIL, f)))].map((raw) => ({ raw })));
  const mb: MailboxConfig = {
    address: USER, login: USER, password: PASS, host: server.host, port: server.imapsPort, tls: 'implicit', allowInsecure: false,
    tlsOptions: { rejectUnauthorized: true, ca: server.certPem }, folders: { kind: 'all' }, excludeFolders: [],
  };
  source = await ImapSource.connect(mb);
}, 120_000);

afterAll(async () => {
  await source?.close();
  await server?.stop();
});

describe('naming a message from its own bytes', () => {
  it('gives every message the name, size and date its header FETCH gives', async () => {
    await source.open('INBOX');
    const byHeaders = new Map<number, string>();
    for await (const meta of source.headers(0)) byHeaders.set(meta.uid, emlFileName(meta, segment1(meta)));
    const byBodies = new Map<number, string>();
    const uids = [...byHeaders.keys()];
    for await (const body of source.bodies(uids, true)) {
      const meta = metaOfBody(body);
      byBodies.set(meta.uid, emlFileName(meta, segment1(meta)));
    }
    expect(byHeaders.size).toBe(edge.length + fs.readdirSync(REALMAIL).length);
    expect(byBodies).toEqual(byHeaders);
    // The cases above are not all alike: they give distinct names.
    expect(new Set(uids.slice(0, edge.length).map((u) => byHeaders.get(u))).size).toBe(edge.length);
  }, 60_000);

  it('finds the messages above the streaming size with one SEARCH', async () => {
    const status = await source.open('INBOX');
    const all = await source.uidsAbove(0);
    const sizes = new Map<number, number>();
    for await (const meta of source.headers(all)) sizes.set(meta.uid, meta.size);
    const cut = 1024 * 1024;
    const expected = all.filter((uid) => (sizes.get(uid) ?? 0) > cut);
    expect(expected.length).toBeGreaterThan(0);
    expect(await source.uidsLarger(all[0] ?? 1, (status.uidNext ?? 0) - 1, cut)).toEqual(expected);
    // Only the range asked for.
    const mid = all[Math.floor(all.length / 2)] ?? 1;
    expect(await source.uidsLarger(1, mid, cut)).toEqual(expected.filter((uid) => uid <= mid));
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../../src/core/config-types.js';
import { ImapSource, type Body } from '../../src/io/imap-source.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';

// Message bodies are read off imapflow's socket by rawFetch (src/io/raw-fetch.ts). What it gives
// must be what imapflow gives, byte for byte, and imapflow must go on working on the connection
// afterwards: checked against Dovecot, plain and with COMPRESS=DEFLATE.
const REALMAIL = path.resolve(__dirname, '../../../shared/testdata/realmail/msgs');
const USER = 'raw@example.org';
const PASS = 'raw-pw';

const filler = (i: number) => makeMessage({ subject: `filler ${i}`, body: `${i} `.repeat(15_000) });
const big = makeMessage({ subject: 'big', body: 'x'.repeat(3 * 1024 * 1024) });
const corpus = [
  ...fs.readdirSync(REALMAIL).sort().map((f) => fs.readFileSync(path.join(REALMAIL, f))),
  Buffer.from('Subject: {5}\r\n\r\nA line ending in what looks like a literal {5}\r\n'),
  Buffer.from('x'),
  big,
  // 600 x ~30 KB: more than rawFetch lets pile up (8 MB) before it pauses the socket.
  ...Array.from({ length: 600 }, (_, i) => filler(i)),
];

describe.each([
  ['a plain connection', false],
  ['a COMPRESS=DEFLATE connection', true],
])('bodies over %s', (_, compress) => {
  let server: DovecotServer;
  let mb: MailboxConfig;
  let expected: Map<number, Body>;

  beforeAll(async () => {
    server = await startDovecot({ compress });
    await server.addUser(USER, PASS);
    await server.seed(USER, 'INBOX', corpus.map((raw) => ({ raw })));
    mb = {
      address: USER, login: USER, password: PASS, host: server.host, port: server.imapsPort, tls: 'implicit', allowInsecure: false,
      tlsOptions: { rejectUnauthorized: true, ca: server.certPem }, folders: { kind: 'all' }, excludeFolders: [],
    };
    // What imapflow itself reads, to compare with.
    const client = new ImapFlow({ host: server.host, port: server.imapsPort, secure: true, auth: { user: USER, pass: PASS }, tls: { ca: server.certPem }, logger: false });
    await client.connect();
    await client.mailboxOpen('INBOX', { readOnly: true });
    expected = new Map();
    for await (const m of client.fetch('1:*', { uid: true, source: true, size: true, internalDate: true }, { uid: true })) {
      expected.set(m.uid, { uid: m.uid, source: m.source!, size: m.size!, internalDate: m.internalDate as Date });
    }
    await client.logout();
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  const connect = async () => {
    const source = await ImapSource.connect(mb);
    const client = (source as unknown as { client: { _inflate?: unknown } }).client;
    // The compressed case must really read through the inflater, or it tests nothing new.
    expect(Boolean(client._inflate)).toBe(compress);
    return source;
  };

  it('gives every message byte for byte, with its size and date, as imapflow does', async () => {
    const source = await connect();
    try {
      await source.open('INBOX');
      const uids = await source.uidsAbove(0);
      expect(uids.length).toBe(corpus.length);
      const got = new Map<number, Body>();
      for await (const b of source.bodies(uids, true)) got.set(b.uid, { ...b, source: Buffer.from(b.source) });
      expect(got.size).toBe(expected.size);
      for (const [uid, e] of expected) {
        const g = got.get(uid);
        expect(g?.source.equals(e.source), `uid ${uid}`).toBe(true);
        expect(g?.size).toBe(e.size);
        expect(g?.internalDate.getTime()).toBe(e.internalDate.getTime());
      }
      // imapflow takes the connection back: a SEARCH, a header FETCH and a streamed body after it.
      expect(await source.uidsAbove(0)).toEqual(uids);
      const bigUid = [...expected.values()].find((e) => e.source.equals(big))!.uid;
      const headers = [];
      for await (const h of source.headers([bigUid], true)) headers.push(h.subject);
      expect(headers).toEqual(['big']);
      const stream = await source.stream(bigUid);
      const chunks: Buffer[] = [];
      for await (const c of stream!) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(big)).toBe(true);
      expect(source.usable).toBe(true);
    } finally {
      await source.close();
    }
  }, 60_000);

  it('pauses the socket for a slow reader and loses nothing', async () => {
    const source = await connect();
    try {
      await source.open('INBOX');
      const uids = (await source.uidsAbove(0)).slice(-600);
      let n = 0;
      for await (const b of source.bodies(uids)) {
        expect(b.source.equals(expected.get(b.uid)!.source)).toBe(true);
        // Slow for the first part, so several MB pile up while the reader waits.
        if (n++ < 20) await new Promise((r) => setTimeout(r, 20));
      }
      expect(n).toBe(600);
      expect(await source.uidsIn(uids.slice(0, 3))).toEqual(uids.slice(0, 3));
    } finally {
      await source.close();
    }
  }, 60_000);

  it('gives up the connection when the reader stops early, and a new one works', async () => {
    const source = await connect();
    await source.open('INBOX');
    const uids = await source.uidsAbove(0);
    let n = 0;
    for await (const _ of source.bodies(uids)) if (++n === 3) break;
    expect(source.usable).toBe(false);
    await source.close();
    const again = await connect();
    try {
      await again.open('INBOX');
      expect(await again.uidsAbove(0)).toEqual(uids);
    } finally {
      await again.close();
    }
  }, 60_000);
});

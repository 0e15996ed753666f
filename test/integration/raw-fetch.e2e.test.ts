import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../../src/core/config-types.js';
import { HEADER_FIELDS, metaOf, type MessageMeta } from '../../src/io/fetched.js';
import { ImapSource, type Body } from '../../src/io/imap-source.js';
import { canBorrow } from '../../src/io/raw-fetch.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { startProxy, type ProxyFaults } from '../helpers/tcp-proxy.js';
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
  let expectedMeta: Map<number, MessageMeta>;

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
    expectedMeta = new Map();
    for await (const m of client.fetch('1:*', { uid: true, size: true, internalDate: true, headers: HEADER_FIELDS }, { uid: true })) {
      expectedMeta.set(m.uid, metaOf(m.uid, m.size ?? 0, m.internalDate as Date, m.headers));
    }
    await client.logout();
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  const connect = async (opts: { socketTimeoutMs?: number; port?: number } = {}) => {
    const source = await ImapSource.connect({ ...mb, port: opts.port ?? mb.port }, { socketTimeoutMs: opts.socketTimeoutMs });
    const client = (source as unknown as { client: { _inflate?: unknown } }).client;
    // The compressed case must really read through the inflater, or it tests nothing new.
    expect(Boolean(client._inflate)).toBe(compress);
    // If a new imapflow fed its reader another way, bodies would quietly go the slow way.
    expect(canBorrow(client as unknown as ImapFlow)).toBe(true);
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
      const chunks = await source.streamBody(bigUid, async (stream) => {
        const got: Buffer[] = [];
        for await (const c of stream) got.push(Buffer.from(c as Buffer));
        return got;
      });
      expect(Buffer.concat(chunks!).equals(big)).toBe(true);
      expect(source.usable).toBe(true);
    } finally {
      await source.close();
    }
  }, 60_000);

  it('gives every message the header fields, size and date imapflow gives', async () => {
    const source = await connect();
    try {
      await source.open('INBOX');
      const got = new Map<number, MessageMeta>();
      for await (const m of source.headers(0)) got.set(m.uid, m);
      expect(got.size).toBe(corpus.length);
      expect(got).toEqual(expectedMeta);
      // Above a mark, and for given UIDs.
      const uids = [...got.keys()];
      const above: number[] = [];
      for await (const m of source.headers(uids[10]!)) above.push(m.uid);
      expect(above).toEqual(uids.slice(11));
      const some: number[] = [];
      for await (const m of source.headers([uids[3]!, uids[7]!], true)) some.push(m.uid);
      expect(some).toEqual([uids[3], uids[7]]);
      expect(source.usable).toBe(true);
    } finally {
      await source.close();
    }
  }, 60_000);

  it('pauses the socket for a slow reader, past the socket timeout, and loses nothing', async () => {
    // A socket timeout well below the reader's pause: held paused for us, the socket is not "quiet".
    // Not much lower: under the full suite on two cores, Dovecot itself was once silent for 300 ms.
    const source = await connect({ socketTimeoutMs: 800 });
    try {
      await source.open('INBOX');
      const uids = (await source.uidsAbove(0)).slice(-600);
      const client = (source as unknown as { client: { socket: Readable; _inflate?: Readable } }).client;
      const from = client._inflate ?? client.socket;
      let pauses = 0;
      const pause = from.pause.bind(from);
      from.pause = () => (pauses++, pause());
      let n = 0;
      for await (const b of source.bodies(uids)) {
        expect(b.source.equals(expected.get(b.uid)!.source)).toBe(true);
        if (n++ === 0) {
          pauses = 0;
          await new Promise((r) => setTimeout(r, 2_500));
        }
      }
      expect(n).toBe(600);
      expect(pauses).toBeGreaterThan(0);
      expect(await source.uidsIn(uids.slice(0, 3))).toEqual(uids.slice(0, 3));
      expect(source.usable).toBe(true);
    } finally {
      await source.close();
    }
  }, 60_000);

  it('fails, and gives up the connection, when the server refuses the FETCH', async () => {
    const source = await connect();
    try {
      await source.open('INBOX');
      await expect(async () => {
        for await (const _ of source.bodies([0])) { /* nothing comes */ }
      }).rejects.toThrow(/refused FETCH/);
      expect(source.usable).toBe(false);
    } finally {
      await source.close();
    }
  }, 60_000);

  it.each<[string, ProxyFaults]>([
    ['is cut', { dropAfterBytes: 2_000_000 }],
    ['goes silent', { stallAfterBytes: 2_000_000 }],
  ])('fails, never hangs, when the connection %s during the FETCH', async (_, faults) => {
    const proxy = await startProxy(server.imapsPort, faults);
    const source = await connect({ port: proxy.port, socketTimeoutMs: 1_000 });
    try {
      await source.open('INBOX');
      const uids = await source.uidsAbove(0);
      const got: number[] = [];
      await expect(async () => {
        for await (const b of source.bodies(uids)) got.push(b.uid);
      }).rejects.toThrow(/connection|timeout/i);
      // What came before the fault came whole.
      for (const uid of got) expect(expected.has(uid)).toBe(true);
      expect(got.length).toBeLessThan(uids.length);
      expect(source.usable).toBe(false);
    } finally {
      await source.close();
      await proxy.close();
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

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer, type SeedMessage } from '../helpers/dovecot.js';

const msg = (i: number, extra = '') =>
  `From: a@example.com\nTo: b@example.com\nSubject: message ${i}${extra}\nMessage-ID: <m${i}@example.com>\n\nBody ${i}\n`;

/** Dovecot serves LF-stored messages with CRLF. */
const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'));

function client(srv: DovecotServer, user: string, pass: string, extra: Partial<ImapFlowOptions> = {}): ImapFlow {
  return new ImapFlow({
    host: srv.host, port: srv.imapsPort, secure: true, logger: false, auth: { user, pass },
    tls: { ca: srv.certPem, servername: 'localhost' }, ...extra,
  });
}

/** Cleartext session without a client library: greeting + one command + LOGOUT. */
function rawSession(host: string, port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port }, () => sock.write(`${command}\r\nz LOGOUT\r\n`));
    let buf = '';
    sock.on('data', (d) => { buf += d; });
    sock.on('close', () => resolve(buf));
    sock.on('error', reject);
  });
}

function pgrep(pattern: string): string {
  try { return execFileSync('pgrep', ['-af', pattern], { encoding: 'utf8' }).trim(); } catch { return ''; }
}

describe('dovecot harness', () => {
  let srv: DovecotServer;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const t0 = Date.now();
    srv = await startDovecot();
    timings.start = Date.now() - t0;
    await srv.addUser('alice', 'alice-pw');
  });
  afterAll(async () => {
    await srv?.stop();
    console.log('dovecot harness timings (ms)', timings);
  });

  it('seeds folders in bulk, with flags and internal dates, in UID order', async () => {
    const inbox: SeedMessage[] = Array.from({ length: 500 }, (_, i) => ({
      raw: msg(i),
      flags: i % 3 === 0 ? ['\\Seen', '$Important'] : i % 3 === 1 ? ['\\Flagged'] : [],
      internalDate: new Date(Date.UTC(2022, 0, 1) + i * 3600_000),
    }));
    let t0 = Date.now();
    await srv.seed('alice', 'INBOX', inbox);
    timings.seed500 = Date.now() - t0;
    await srv.seed('alice', 'Archive/2023', Array.from({ length: 10 }, (_, i) => ({ raw: msg(i, ' archived') })));
    await srv.seed('alice', 'Grüße', [{ raw: msg(1, ' ü') }, { raw: msg(2, ' ß') }]);
    await srv.seed('alice', 'Sent Items', [{ raw: msg(1, ' sent'), flags: ['\\Seen'] }]);

    expect((await srv.status('alice', 'INBOX')).messages).toBe('500');
    expect((await srv.status('alice', 'Grüße')).messages).toBe('2');

    const c = client(srv, 'alice', 'alice-pw');
    await c.connect();
    await c.mailboxOpen('INBOX', { readOnly: true });
    const got = [];
    for await (const m of c.fetch('1:4', { uid: true, flags: true, internalDate: true, headers: ['subject'] })) got.push(m);
    await c.logout();
    expect(got.map((m) => m.headers?.toString().trim())).toEqual([0, 1, 2, 3].map((i) => `Subject: message ${i}`));
    expect([...(got[0]?.flags ?? [])]).toEqual(expect.arrayContaining(['\\Seen', '$Important']));
    expect([...(got[1]?.flags ?? [])]).toContain('\\Flagged');
    expect(got[2]?.internalDate).toEqual(new Date(Date.UTC(2022, 0, 1) + 2 * 3600_000));

    const bulk = Array.from({ length: 5000 }, (_, i) => ({ raw: msg(i) }));
    t0 = Date.now();
    await srv.seed('alice', 'Bulk', bulk);
    timings.seed5000 = Date.now() - t0;
    expect((await srv.status('alice', 'Bulk')).messages).toBe('5000');
  });

  it('picks up users added and passwords changed while running, without auth delays', async () => {
    await srv.addUser('bob', 'bob-pw');
    const login = async (user: string, pass: string) => {
      const c = client(srv, user, pass);
      try { await c.connect(); await c.logout(); return true; } catch { return false; }
    };
    expect(await login('bob', 'bob-pw')).toBe(true);
    const t0 = Date.now();
    expect(await login('bob', 'wrong')).toBe(false);
    expect(await login('bob', 'wrong')).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000); // default: 2 s, then 4 s... per IP; now <= 0.5 s each
    await srv.addUser('bob', 'new-pw');
    expect(await login('bob', 'new-pw')).toBe(true);
    expect(await login('bob', 'bob-pw')).toBe(false);
  });

  it('lists nested, non-ASCII and special-use folders over IMAPS', async () => {
    await srv.createFolder('alice', 'Trash');
    const c = client(srv, 'alice', 'alice-pw');
    await c.connect();
    expect(c.secureConnection).toBe(true);
    const caps = [...c.capabilities.keys()];
    expect(caps).toEqual(expect.arrayContaining(['LIST-STATUS', 'CONDSTORE', 'SPECIAL-USE', 'QRESYNC']));
    const list = await c.list({ statusQuery: { messages: true, highestModseq: true } }); // LIST-STATUS
    await c.logout();
    const byPath = new Map(list.map((f) => [f.path, f]));
    expect([...byPath.keys()]).toEqual(expect.arrayContaining(['INBOX', 'Archive/2023', 'Grüße', 'Sent Items', 'Trash']));
    expect(byPath.get('Sent Items')?.specialUse).toBe('\\Sent');
    expect(byPath.get('Sent Items')?.specialUseSource).toBe('extension');
    expect(byPath.get('Trash')?.specialUse).toBe('\\Trash');
    expect(byPath.get('Archive/2023')?.delimiter).toBe('/');
    expect(byPath.has('Drafts')).toBe(false); // auto = no: only exists once created
    expect(byPath.get('INBOX')?.status?.messages).toBe(500);
    expect(byPath.get('INBOX')?.status?.highestModseq).toBeTypeOf('bigint'); // CONDSTORE
    // Seeding 'Archive/2023' made the parent a \Noselect dir, and it still carries \Archive.
    expect([...(byPath.get('Archive')?.flags ?? [])]).toEqual(expect.arrayContaining(['\\Noselect', '\\Archive']));
  });

  it('offers STARTTLS on the plain port; refuses cleartext LOGIN unless the path counts as secured', async () => {
    const c = client(srv, 'alice', 'alice-pw', { port: srv.imapPort, secure: false, doSTARTTLS: true });
    await c.connect();
    expect(c.secureConnection).toBe(true);
    await c.logout();
    // 127.0.0.1 -> 127.0.0.1 counts as "secured" for Dovecot; via 127.0.0.2 it does not.
    expect(await rawSession(srv.host, srv.imapPort, 'a LOGIN alice alice-pw')).toMatch(/^a OK/m);
    const refused = await rawSession(srv.insecureHost, srv.imapPort, 'a LOGIN alice alice-pw');
    expect(refused).toContain('LOGINDISABLED');
    expect(refused).toMatch(/^a NO \[PRIVACYREQUIRED\]/m);
    const plain = client(srv, 'alice', 'alice-pw', { host: srv.insecureHost, port: srv.imapPort, secure: false, doSTARTTLS: false });
    await expect(plain.connect()).rejects.toThrow(/Login is disabled/); // imapflow honours LOGINDISABLED
  });

  it('fetchRaw returns the exact served bytes and stats() counts body fetches', async () => {
    const before = await srv.stats('alice');
    const raw = await srv.fetchRaw('alice', 'alice-pw', 'INBOX');
    expect(raw.size).toBe(500);
    expect(raw.get(1)).toEqual(crlf(msg(0)));
    expect(raw.get(500)).toEqual(crlf(msg(499)));
    const after = await srv.stats('alice');
    expect(after.fetchBodyCount - before.fetchBodyCount).toBe(500);
    expect(after.fetchHdrCount - before.fetchHdrCount).toBe(0);
    expect(after.logouts - before.logouts).toBe(1);

    const c = client(srv, 'alice', 'alice-pw');
    await c.connect();
    await c.mailboxOpen('INBOX', { readOnly: true });
    for await (const m of c.fetch('1:10', { uid: true, headers: ['subject', 'message-id'], size: true, envelope: true })) void m;
    await c.logout();
    const hdr = await srv.stats('alice');
    expect(hdr.fetchHdrCount - after.fetchHdrCount).toBe(10);
    expect(hdr.fetchBodyCount - after.fetchBodyCount).toBe(0);
  });

  it('append, expunge and resetUidValidity change what clients see', async () => {
    const s0 = await srv.status('alice', 'INBOX');
    await srv.append('alice', 'INBOX', msg(1000, ' new'));
    const s1 = await srv.status('alice', 'INBOX');
    expect(Number(s1.messages)).toBe(501);
    expect(Number(s1.uidnext)).toBe(Number(s0.uidnext) + 1);

    await srv.expunge('alice', 'INBOX', [1, 2, 3]);
    const raw = await srv.fetchRaw('alice', 'alice-pw', 'INBOX');
    expect(raw.size).toBe(498);
    expect(raw.has(1)).toBe(false);
    expect(raw.get(501)).toEqual(crlf(msg(1000, ' new')));

    const c = client(srv, 'alice', 'alice-pw');
    await c.connect();
    const e0 = await srv.stats('alice');
    await c.mailboxOpen('INBOX');
    await c.messageDelete('4', { uid: true });
    await c.mailboxClose();
    expect((await srv.stats('alice')).expunged - e0.expunged).toBe(0); // session still open: not logged yet
    const uidValidity = async () => { const st = await c.status('INBOX', { uidValidity: true }); return st ? st.uidValidity : undefined; };
    const v0 = await uidValidity();
    await srv.resetUidValidity('alice', 'INBOX');
    const v1 = await uidValidity();
    expect(v0).toBeTypeOf('bigint');
    expect(v1).not.toBe(v0);
    await c.logout();
    expect((await srv.stats('alice')).expunged - e0.expunged).toBe(1);
    expect([...(await srv.fetchRaw('alice', 'alice-pw', 'INBOX')).keys()].slice(0, 2)).toEqual([5, 6]); // UIDs kept

    const a0 = await srv.status('alice', 'Archive/2023');
    await srv.resetUidValidity('alice', 'Archive/2023', { renumber: true });
    const a1 = await srv.status('alice', 'Archive/2023');
    expect(a1.uidvalidity).not.toBe(a0.uidvalidity);
    expect(a1.messages).toBe('10');
  });

  it('stop() leaves no dovecot process and removes the temp dir', async () => {
    const { confPath, dir } = srv;
    expect(pgrep(confPath)).not.toBe('');
    const t0 = Date.now();
    await srv.stop();
    timings.stop = Date.now() - t0;
    expect(pgrep(confPath)).toBe('');
    expect(existsSync(dir)).toBe(false);
  });
});

describe('dovecot harness options', () => {
  it('plaintextAuth allows cleartext LOGIN; rawlog records client commands', async () => {
    const srv = await startDovecot({ plaintextAuth: true, rawlog: true });
    try {
      await srv.addUser('carol', 'carol-pw');
      await srv.seed('carol', 'INBOX', [{ raw: msg(1) }, { raw: msg(2) }]);
      const c = client(srv, 'carol', 'carol-pw', { host: srv.insecureHost, port: srv.imapPort, secure: false, doSTARTTLS: false });
      await c.connect();
      expect(c.secureConnection).toBe(false);
      await c.mailboxOpen('INBOX');
      for await (const m of c.fetch('1:*', { uid: true, source: true })) void m;
      await c.logout();
      const cmds = await srv.commands('carol');
      expect(cmds.filter((l) => /^\S+ (UID )?FETCH .*BODY(\.PEEK)?\[\]/i.test(l))).toHaveLength(1);
      expect(cmds.some((l) => /LOGIN/i.test(l))).toBe(false); // rawlog starts after login: no passwords
      expect((await srv.stats('carol')).fetchBodyCount).toBe(2);
    } finally {
      await srv.stop();
    }
  });
});

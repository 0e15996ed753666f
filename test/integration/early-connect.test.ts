import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../../src/core/config-types.js';
import { closeEarly, connectEarly, takeEarly } from '../../src/io/early-connect.js';
import { ImapSource } from '../../src/io/imap-source.js';
import { freePort } from '../helpers/dovecot-proc.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { testCertificate } from '../helpers/smtp.js';

// A run starts its first connections' TLS handshakes while it still loads (src/io/early-connect.ts);
// ImapSource.connect then takes that socket. Against Dovecot: the session it carries must be the
// one imapflow would have opened, and a failure must surface where and as it always did.
const USER = 'early@example.org';
const PASS = 'early-pw';
let server: DovecotServer;
const mailbox = (over: Partial<MailboxConfig> = {}): MailboxConfig => ({
  address: USER, login: USER, password: PASS, host: server.host, port: server.imapsPort, tls: 'implicit', allowInsecure: false,
  tlsOptions: { rejectUnauthorized: true, ca: server.certPem }, folders: { kind: 'all' }, excludeFolders: [], ...over,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const noAuthDisconnects = async () => (await server.logText()).split('\n').filter((l) => /no auth attempts/i.test(l)).length;

beforeAll(async () => {
  server = await startDovecot();
  await server.addUser(USER, PASS);
  await server.seed(USER, 'INBOX', [1, 2, 3].map((i) => ({ raw: makeMessage({ subject: `early ${i}` }) })));
});
afterAll(async () => {
  closeEarly();
  await server?.stop();
});

describe('a connection started early', () => {
  it.each([
    ['after its handshake and the greeting are in', 300],
    ['while its handshake is still under way', 0],
  ])('carries the session when taken %s: one connection, one login', async (_, waitMs) => {
    const mb = mailbox();
    const before = await server.stats(USER);
    const unusedBefore = await noAuthDisconnects();
    connectEarly([mb]);
    await sleep(waitMs);
    const source = await ImapSource.connect(mb);
    const folders = await source.listFolders();
    expect(folders.map((f) => f.path)).toContain('INBOX');
    expect((await source.open('INBOX')).messages).toBe(3);
    await source.close();
    // Taken once: the next connection of the mailbox opens its own.
    expect(takeEarly(mb)).toBeUndefined();
    closeEarly();
    await sleep(200);
    const after = await server.stats(USER);
    expect(after.logins - before.logins).toBe(1);
    // Had ImapSource opened a second connection, the early one would end without logging in.
    expect(await noAuthDisconnects()).toBe(unusedBefore);
  });

  it('that nobody takes is closed by closeEarly', async () => {
    const unusedBefore = await noAuthDisconnects();
    connectEarly([mailbox()]);
    await sleep(200);
    closeEarly();
    for (let i = 0; i < 40 && (await noAuthDisconnects()) === unusedBefore; i++) await sleep(50);
    expect(await noAuthDisconnects()).toBe(unusedBefore + 1);
  });

  it('is only made for implicit TLS and passwords: STARTTLS and plain sessions begin on imapflow\'s own terms, OAuth2 asks for its token first', () => {
    const starttls = mailbox({ tls: 'starttls', port: server.imapPort });
    const none = mailbox({ tls: 'none', port: server.imapPort });
    const oauth2 = mailbox({ password: '', oauth2: { provider: 'google', clientId: 'c', clientSecret: 's', refreshToken: 'r' } as unknown as MailboxConfig['oauth2'] });
    const password = mailbox();
    connectEarly([starttls, none, oauth2, password]);
    expect(takeEarly(starttls)).toBeUndefined();
    expect(takeEarly(none)).toBeUndefined();
    expect(takeEarly(oauth2)).toBeUndefined();
    const taken = takeEarly(password);
    expect(taken).toBeDefined();
    taken?.connect({ host: server.host, port: server.imapsPort, secure: true }, () => undefined).destroy();
  });

  it.each([
    ['a port nobody listens on', async () => mailbox({ port: await freePort() })],
    ['a certificate the mailbox does not trust', async () => mailbox({ tlsOptions: { rejectUnauthorized: true, ca: testCertificate().cert } })],
  ])('fails on %s as a connection opened by imapflow does', async (_, make) => {
    const plain = await make();
    const early = { ...plain };
    const without = await ImapSource.connect(plain).then(() => undefined, (err: unknown) => err as NodeJS.ErrnoException);
    connectEarly([early]);
    await sleep(200);
    const withEarly = await ImapSource.connect(early).then(() => undefined, (err: unknown) => err as NodeJS.ErrnoException);
    expect(without).toBeInstanceOf(Error);
    expect(withEarly).toBeInstanceOf(Error);
    expect([withEarly?.code, withEarly?.message]).toEqual([without?.code, without?.message]);
  });

  it('that the server closed without a word is not waited on for a greeting: it fails at once, as imapflow\'s own does', async () => {
    const { key, cert } = testCertificate();
    const closing = tls.createServer({ key, cert }, (socket) => socket.end());
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    try {
      const mb = mailbox({ host: '127.0.0.1', port: (closing.address() as AddressInfo).port, tlsOptions: { rejectUnauthorized: true, ca: cert } });
      const without = await ImapSource.connect(mb).then(() => undefined, (e: unknown) => e as NodeJS.ErrnoException);
      const early = { ...mb };
      connectEarly([early]);
      await sleep(300);
      const started = Date.now();
      const withEarly = await ImapSource.connect(early).then(() => undefined, (e: unknown) => e as NodeJS.ErrnoException);
      expect(without?.code).toBe('ClosedAfterConnectTLS');
      // imapflow's greeting timeout is 16 s.
      expect({ code: withEarly?.code, message: withEarly?.message, fast: Date.now() - started < 5000 }).toEqual({ code: without?.code, message: without?.message, fast: true });
    } finally {
      closeEarly();
      await new Promise((resolve) => closing.close(resolve));
    }
  }, 30_000);

  it('is not left waiting while an OAuth2 token cannot be had: none is opened, so no retry can take a stale one', async () => {
    const unusedBefore = await noAuthDisconnects();
    // The OAuth2 token endpoint is down: the attempt fails before it connects.
    const mb = mailbox({ password: '', oauth2: { kind: 'refresh-token', tokenUrl: `https://127.0.0.1:${await freePort()}/token`, clientId: 'app', clientSecret: '', scope: '', refreshToken: 'rt' } });
    connectEarly([mb]);
    await sleep(200);
    await expect(ImapSource.connect(mb)).rejects.toThrow();
    expect(takeEarly(mb)).toBeUndefined();
    closeEarly();
    await sleep(500);
    // No connection reached the server at all.
    expect(await noAuthDisconnects()).toBe(unusedBefore);
  });

  it('that the server reset after its handshake is not handed over: imapflow connects on its own and the run goes on', async () => {
    // Between the run and Dovecot: the first connection is reset once its handshake is done (a
    // server's or a balancer's limit on connections that have not logged in); the others pass.
    let first = true;
    let reset = () => undefined as void;
    const wasReset = new Promise<void>((resolve) => (reset = resolve));
    const proxy = net.createServer((client) => {
      const upstream = net.connect(server.imapsPort, server.host);
      client.pipe(upstream).pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      if (!first) return;
      first = false;
      // The client's second flight (its Finished) ends the handshake on its side.
      let flights = 0;
      client.on('data', () => {
        if (++flights === 2) setTimeout(() => (client.resetAndDestroy(), reset()), 50);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const mb = mailbox({ host: '127.0.0.1', port: (proxy.address() as AddressInfo).port, tlsOptions: { rejectUnauthorized: true, ca: server.certPem } });
      connectEarly([mb]);
      await wasReset;
      await sleep(100);
      const source = await ImapSource.connect(mb);
      expect((await source.listFolders()).map((f) => f.path)).toContain('INBOX');
      await source.close();
    } finally {
      closeEarly();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }, 30_000);
});

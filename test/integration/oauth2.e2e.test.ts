import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { startOAuth2Server, type OAuth2TestServer } from '../helpers/oauth2-server.js';
import { readTree, writeWorkspace, type MailboxEntry, type Workspace } from '../helpers/setup.js';

// alice and bob: one app-only credential of the tenant (Microsoft 365 style); carol: a refresh
// token (Gmail style); dave: an app whose secret the endpoint rejects; erin: a password.
const [ALICE, BOB, CAROL, DAVE, ERIN] = ['alice', 'bob', 'carol', 'dave', 'erin'].map((n) => `${n}@contoso.com`) as [string, string, string, string, string];
const APP_SECRET = 'app-1-Client~Secret.Value';
const GOOGLE_SECRET = 'GOCSPX-google-client-secret';
const REFRESH = '1//0refresh-token-of-carol';
const ERIN_PASS = 'Erin-pw-4711';

let server: DovecotServer;
let idp: OAuth2TestServer;
let ws: Workspace;

const microsoft = (clientId: string) => [
  'oauth2:',
  '  kind: microsoft-client-credentials',
  '  tenantId: contoso.onmicrosoft.com',
  `  clientId: ${clientId}`,
  "  clientSecret: '${APP_SECRET}'",
  `  tokenUrl: '${idp.base}/contoso.onmicrosoft.com/oauth2/v2.0/token'`,
];

beforeAll(async () => {
  idp = await startOAuth2Server();
  // Dovecot compares the token's user by domain (%Ld): an app-only token is good for every mailbox of the tenant.
  server = await startDovecot({ oauth2: { introspectionUrl: idp.introspectionUrl, usernameFormat: '%Ld' } });
  idp.clients.set('app-1', { secret: APP_SECRET, username: 'app-1@contoso.com' });
  idp.refreshTokens.set(REFRESH, CAROL);
  for (const u of [ALICE, BOB, CAROL, DAVE]) await server.addUser(u, `unused-${u}`);
  await server.addUser(ERIN, ERIN_PASS);
  for (const u of [ALICE, BOB, CAROL, DAVE, ERIN]) await server.seed(u, 'INBOX', [{ raw: makeMessage({ subject: `mail of ${u}` }) }, { raw: makeMessage({ subject: 'second' }) }]);
  const entries: MailboxEntry[] = [
    { address: ALICE, password: '', extra: microsoft('app-1') },
    { address: BOB, password: '', extra: microsoft('app-1') },
    { address: CAROL, password: '', extra: ['oauth2:', '  kind: refresh-token', `  tokenUrl: '${idp.base}/token'`, '  clientId: carol-client.apps.googleusercontent.com', "  clientSecret: '${GOOGLE_SECRET}'", '  refreshTokenFile: carol.token'] },
    { address: DAVE, password: '', extra: microsoft('app-rejected') },
    { address: ERIN, password: ERIN_PASS },
  ];
  // One mailbox at a time, so the second one's login comes after the first one's token expired.
  ws = writeWorkspace(server, entries, { common: ['concurrency: 1'] });
  const list = path.join(ws.dir, 'mailboxes_to_backup.yml');
  fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replaceAll("    password: ''\n", ''));
  // One CA file for both: the IMAP server's certificate and the token endpoint's.
  fs.appendFileSync(path.join(ws.dir, 'dovecot-ca.pem'), idp.certPem);
  fs.writeFileSync(path.join(ws.dir, 'carol.token'), `${REFRESH}\n`);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await idp?.stop();
});

const env = { APP_SECRET, GOOGLE_SECRET };
const backup = (...mailboxes: string[]) => runCli(['--config', ws.configPath, '--mailbox', mailboxes.join(',')], { env });
const callsFor = (clientId: string) => idp.calls.filter((c) => c.clientId === clientId).length;
const inbox = (mailbox: string) => readTree(path.join(ws.processFolder, mailbox, 'INBOX'));

function expectNoSecrets(text: string): void {
  for (const secret of [APP_SECRET, GOOGLE_SECRET, REFRESH, ERIN_PASS, ...idp.issued()]) expect(text).not.toContain(secret);
}

describe('OAuth2 sign-in', () => {
  it('backs up with app-only and refresh-token credentials: one token per credential and run', async () => {
    idp.calls.length = 0;
    const r = await backup(ALICE, BOB, CAROL, ERIN);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const u of [ALICE, BOB, CAROL, ERIN]) expect(inbox(u).size, u).toBe(2);
    expect(callsFor('app-1')).toBe(1);
    expect(callsFor('carol-client.apps.googleusercontent.com')).toBe(1);
    expect(idp.calls.find((c) => c.clientId === 'app-1')?.path).toBe('/contoso.onmicrosoft.com/oauth2/v2.0/token');
    const logs = fs.readdirSync(ws.logsFolder).map((f) => fs.readFileSync(path.join(ws.logsFolder, f), 'utf8')).join('\n');
    expectNoSecrets(r.stdout + r.stderr + logs);
    // Dovecot saw OAuth logins, not passwords.
    expect(await server.logText()).toMatch(/Login: user=<alice@contoso\.com>, method=(OAUTHBEARER|XOAUTH2)/);
  }, 60_000);

  it('a token the server finds expired is replaced: the endpoint is asked again and the backup completes', async () => {
    idp.calls.length = 0;
    idp.killNext = 1;
    await server.seed(ALICE, 'INBOX', [{ raw: makeMessage({ subject: 'after expiry' }) }]);
    const r = await backup(ALICE);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(callsFor('app-1')).toBe(2);
    expect(inbox(ALICE).size).toBe(3);
    expectNoSecrets(r.stdout + r.stderr);
  }, 60_000);

  it('a short-lived token is fetched again before the next login needs it', async () => {
    idp.calls.length = 0;
    idp.expiresIn = 1;
    // Each login takes 1.2 s (the token checked when it arrives): bob's comes after alice's token expired.
    idp.introspectionDelayMs = 1200;
    try {
      const r = await backup(ALICE, BOB);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // Two, not three: bob's login never tried the expired token (that would be refused, then replaced).
      expect(callsFor('app-1')).toBe(2);
    } finally {
      idp.expiresIn = 3600;
      idp.introspectionDelayMs = 0;
    }
  }, 60_000);

  it('a credential the endpoint rejects fails that mailbox with the reason; the others complete', async () => {
    idp.calls.length = 0;
    await server.seed(ERIN, 'INBOX', [{ raw: makeMessage({ subject: 'erin new' }) }]);
    const r = await backup(DAVE, ERIN, BOB);
    expect(r.code, r.stdout).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/dave@contoso\.com: FAILED: OAuth2 sign-in with client app-rejected of tenant contoso\.onmicrosoft\.com failed: the token endpoint https:\/\/127\.0\.0\.1:\d+\/contoso\.onmicrosoft\.com\/oauth2\/v2\.0\/token answered HTTP 400 invalid_client \("AADSTS7000215: Invalid client secret provided/);
    expect(out).toContain('[PARTIAL]');
    expect(inbox(DAVE).size).toBe(0);
    expect(inbox(ERIN).size).toBe(3);
    // A refusal is final for the run: not retried like a dropped connection.
    expect(callsFor('app-rejected')).toBe(1);
    expectNoSecrets(out);
  }, 60_000);

  it('check logs in with OAuth2 too, and restore uploads with it', async () => {
    const check = await runCli(['check', '--config', ws.configPath, '--mailbox', CAROL], { env });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('carol@contoso.com: login OK');
    const r = await runCli(['restore', '--config', ws.configPath, '--from', ws.processFolder, '--mailbox-from', ALICE, '--to', CAROL, '--into', 'FromAlice'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('3 uploaded');
    expect((await server.status(CAROL, 'FromAlice/INBOX'))['messages']).toBe('3');
  }, 60_000);
});
